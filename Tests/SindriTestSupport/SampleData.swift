import Foundation

/// Deterministic sample data for codec tests: the same seed gives the same bytes on every run.
package enum SampleData {
    /// Source-like text assembled from a small vocabulary, highly compressible.
    package static func text(count: Int, seed: UInt64 = 1) -> [UInt8] {
        let words = [
            "func", "let", "var", "return", "struct", "import", "public", "final", "class", "throws", "guard",
            "else", "self", "buffer", "count", "offset", "member", "archive", "{", "}", "(", ")", "=", "//",
            "backup", "restore", "manifest", "deflate", "inflate", "0x1f8b", "UInt8", "Int",
        ]
        var generator = SeededGenerator(seed: seed)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count + 16)
        while bytes.count < count {
            let word = words[Int(generator.next() % UInt64(words.count))]
            bytes.append(contentsOf: word.utf8)
            bytes.append(generator.next() % 9 == 0 ? 0x0a : 0x20)
        }
        return Array(bytes.prefix(count))
    }

    /// Incompressible bytes.
    package static func random(count: Int, seed: UInt64 = 2) -> [UInt8] {
        var generator = SeededGenerator(seed: seed)
        var bytes = [UInt8](repeating: 0, count: count)
        var index = 0
        while index < count {
            var word = generator.next()
            for _ in 0..<8 where index < count {
                bytes[index] = UInt8(truncatingIfNeeded: word)
                word >>= 8
                index += 1
            }
        }
        return bytes
    }

    /// Text with stretches of random bytes, like a tar stream of sources and a few binaries.
    package static func mixed(count: Int, seed: UInt64 = 3) -> [UInt8] {
        var bytes: [UInt8] = []
        var piece: UInt64 = 0
        while bytes.count < count {
            let size = min(50_000 + Int(piece % 7) * 10_000, count - bytes.count)
            bytes += piece % 4 == 3 ? random(count: size, seed: seed &+ piece) : text(count: size, seed: seed &+ piece)
            piece += 1
        }
        return bytes
    }
}

/// SplitMix64: small, fast and good enough for test data.
package struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    package init(seed: UInt64) { state = seed }

    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}
