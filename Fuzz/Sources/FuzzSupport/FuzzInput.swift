import CFuzzDriver
#if canImport(Glibc)
import Glibc
#endif

/// Helpers for the fuzz targets.
///
/// Streaming readers must give the same answer whatever the sizes of the chunks they are fed
/// (a pipe delivers whatever the kernel has). The targets feed every input once whole and once
/// in chunks whose sizes are drawn from a generator seeded by the input itself, so a crash
/// reproduces from the input file alone, and compare the two runs.
public enum FuzzInput {
    /// Chunk sizes covering `count` bytes: mostly small (1-17 bytes, to split headers and
    /// fields), sometimes up to `largest`.
    public static func chunkSizes(for bytes: UnsafeRawBufferPointer, largest: Int = 1100) -> [Int] {
        var state = fnv1a64(bytes) | 1
        var sizes: [Int] = []
        var remaining = bytes.count
        while remaining > 0 {
            // xorshift64*: cheap and deterministic.
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            let random = state &* 0x2545_F491_4F6C_DD1D
            let size = random & 3 == 0 ? Int((random >> 8) % UInt64(largest)) + 1 : Int((random >> 8) % 17) + 1
            let taken = min(size, remaining)
            sizes.append(taken)
            remaining -= taken
        }
        return sizes
    }

    /// Calls `body` with consecutive slices of `bytes` of the given sizes.
    public static func forEachChunk(
        of bytes: UnsafeRawBufferPointer, sizes: [Int], _ body: (UnsafeRawBufferPointer) throws -> Void
    ) rethrows {
        var start = 0
        for size in sizes {
            try body(UnsafeRawBufferPointer(rebasing: bytes[start..<start + size]))
            start += size
        }
    }

    /// FNV-1a 64 of `bytes`.
    public static func fnv1a64(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01B3
        }
        return hash
    }
}

/// Stops the process (a crash libFuzzer reports with the input) when a property does not hold.
/// `precondition` would be removed by `-Ounchecked`; this never is.
public func fuzzCheck(_ condition: Bool, _ message: @autoclosure () -> String, file: StaticString = #file, line: UInt = #line) {
    if !condition { fatalError("fuzz property failed: \(message())", file: file, line: line) }
}

/// Hands the process to libFuzzer with `testOneInput` as the target.
///
/// Why not libFuzzer's own `main`: SwiftPM links every executable with `main` aliased to the
/// module's top-level code (so that tests can link executables), so each target's `main.swift`
/// calls this from its top-level code instead.
public func runFuzzer(_ testOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, testOneInput))
}
