import Foundation
import Testing

@testable import SindriCodecs

/// Deterministic sample data for codec tests: the same seed gives the same bytes on every run.
enum SampleData {
    /// Source-like text assembled from a small vocabulary, highly compressible.
    static func text(count: Int, seed: UInt64 = 1) -> [UInt8] {
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
    static func random(count: Int, seed: UInt64 = 2) -> [UInt8] {
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
    static func mixed(count: Int, seed: UInt64 = 3) -> [UInt8] {
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
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}

/// A directory under the system temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("sindri-codecs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    func write(_ bytes: [UInt8], to name: String) throws -> URL {
        let target = file(name)
        try Data(bytes).write(to: target)
        return target
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// The outcome of running a command-line tool.
struct ToolResult {
    var status: Int32
    var standardOutput: [UInt8]
    var standardError: String
}

/// Runs `tool` (looked up on PATH) with stdin from `input`; stdout and stderr go through files so that
/// large outputs cannot deadlock a pipe.
func runTool(_ tool: String, _ arguments: [String], input: URL? = nil, in directory: TemporaryDirectory) throws
    -> ToolResult
{
    let outputURL = directory.file("stdout-\(UUID().uuidString)")
    let errorURL = directory.file("stderr-\(UUID().uuidString)")
    _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)
    defer {
        try? FileManager.default.removeItem(at: outputURL)
        try? FileManager.default.removeItem(at: errorURL)
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [tool] + arguments
    let outputHandle = try FileHandle(forWritingTo: outputURL)
    let errorHandle = try FileHandle(forWritingTo: errorURL)
    process.standardOutput = outputHandle
    process.standardError = errorHandle
    if let input { process.standardInput = try FileHandle(forReadingFrom: input) } else {
        process.standardInput = FileHandle.nullDevice
    }
    try process.run()
    process.waitUntilExit()
    try outputHandle.close()
    try errorHandle.close()
    return ToolResult(
        status: process.terminationStatus,
        standardOutput: [UInt8](try Data(contentsOf: outputURL)),
        standardError: String(decoding: try Data(contentsOf: errorURL), as: UTF8.self))
}

/// Decodes `file` with `GzipStreamDecoder`, feeding `chunkSize` bytes at a time.
func decodeGzipStream(
    _ file: [UInt8], chunkSize: Int, outputChunkSize: Int = GzipStreamDecoder.maximumOutputChunkSize,
    toleratesTrailingZeros: Bool = true
) throws -> (output: [UInt8], boundaries: [GzipMemberBoundary], largestPiece: Int) {
    var boundaries: [GzipMemberBoundary] = []
    let decoder = try GzipStreamDecoder(
        outputChunkSize: outputChunkSize, toleratesTrailingZeros: toleratesTrailingZeros
    ) { boundaries.append($0) }
    var output: [UInt8] = []
    var largestPiece = 0
    try file.withUnsafeBytes { bytes in
        var position = 0
        while position < bytes.count {
            let end = min(position + chunkSize, bytes.count)
            try decoder.feed(UnsafeRawBufferPointer(rebasing: bytes[position..<end])) { piece in
                largestPiece = max(largestPiece, piece.count)
                output.append(contentsOf: piece)
            }
            position = end
        }
    }
    try decoder.finish()
    return (output, boundaries, largestPiece)
}

/// The `CodecError` thrown by `body`, or nil (recording an issue) if it threw nothing or something else.
func codecError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> CodecError? {
    do {
        try body()
        Issue.record("expected a CodecError, nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let error as CodecError {
        return error
    } catch {
        Issue.record("expected a CodecError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
