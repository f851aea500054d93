import Foundation
import Testing

@testable import SindriArchive

#if canImport(Glibc)
import Glibc
#endif

/// A temporary directory removed when the test is done with it.
final class TarTemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("sindri-tar-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// The outcome of running an external tool.
struct TarToolResult {
    var status: Int32
    var standardOutput: [UInt8]
    var standardError: [UInt8]
    var standardErrorText: String { String(decoding: standardError, as: UTF8.self) }
    var standardOutputText: String { String(decoding: standardOutput, as: UTF8.self) }
}

/// Runs `arguments[0]` (looked up in PATH) with output captured in files (no pipe deadlocks),
/// in the C.UTF-8 locale and the UTC time zone so listings are predictable.
func runTarTool(_ arguments: [String], in directory: TarTemporaryDirectory) throws -> TarToolResult {
    let id = UUID().uuidString
    let outputPath = directory.path("stdout-\(id)")
    let errorPath = directory.path("stderr-\(id)")
    _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
    _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
    let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
    let error = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    var environment = ProcessInfo.processInfo.environment
    environment["LC_ALL"] = "C.UTF-8"
    environment["TZ"] = "UTC"
    environment["PYTHONWARNINGS"] = "default"
    process.environment = environment
    process.standardOutput = output
    process.standardError = error
    process.standardInput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    try output.close()
    try error.close()
    return TarToolResult(
        status: process.terminationStatus,
        standardOutput: Array(try Data(contentsOf: URL(fileURLWithPath: outputPath))),
        standardError: Array(try Data(contentsOf: URL(fileURLWithPath: errorPath)))
    )
}

/// What `TarReader` reported, with content slices merged per member so that chunking does not
/// change the record.
enum TarRecordedEvent: Hashable, CustomStringConvertible {
    case entry(TarMember)
    case content([UInt8])
    case endOfEntry
    case endOfArchive

    var description: String {
        switch self {
        case .entry(let member): return "entry(\(PathBytes.display(member.entry.path)), \(member.entry.kind), size \(member.entry.size), at \(member.headerOffset))"
        case .content(let bytes): return "content(\(bytes.count) bytes)"
        case .endOfEntry: return "endOfEntry"
        case .endOfArchive: return "endOfArchive"
        }
    }
}

/// Feeds `bytes` to a new reader in chunks of `chunkSize` and records every event.
/// Throws the reader's error; `finish()` is called when `finish` is true.
func readTar(_ bytes: [UInt8], chunkSize: Int = Int.max, finish: Bool = true, limits: TarReader.Limits = .init()) throws -> [TarRecordedEvent] {
    var reader = TarReader(limits: limits)
    var events: [TarRecordedEvent] = []
    func record(_ event: TarEvent) {
        switch event {
        case .entry(let member): events.append(.entry(member))
        case .content(let slice):
            #expect(!slice.isEmpty)
            if case .content(let previous) = events.last {
                events[events.count - 1] = .content(previous + Array(slice))
            } else {
                events.append(.content(Array(slice)))
            }
        case .endOfEntry: events.append(.endOfEntry)
        case .endOfArchive: events.append(.endOfArchive)
        }
    }
    var start = 0
    while start < bytes.count {
        let end = start + min(chunkSize, bytes.count - start)
        try reader.consume(Array(bytes[start..<end]), record)
        start = end
    }
    if finish { try reader.finish() }
    return events
}

/// The members (with their content) of recorded events.
func tarMembers(of events: [TarRecordedEvent]) -> [(entry: TarEntry, content: [UInt8])] {
    var result: [(entry: TarEntry, content: [UInt8])] = []
    for event in events {
        switch event {
        case .entry(let member): result.append((member.entry, []))
        case .content(let bytes): result[result.count - 1].content += bytes
        default: break
        }
    }
    return result
}

/// Deterministic content of `count` bytes.
func tarTestContent(_ count: Int, seed: UInt8 = 1) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed) &* 7 &+ ($0 >> 8)) }
}

/// One complete single-member archive: headers, content, padding, end-of-archive marker.
func tarArchive(_ members: [(TarEntry, [UInt8])]) -> [UInt8] {
    var out: [UInt8] = []
    for (entry, content) in members {
        TarHeaderEncoder.append(entry, to: &out)
        out += content
        out += [UInt8](repeating: 0, count: TarHeaderEncoder.paddingCount(forSize: UInt64(content.count)))
    }
    return out + TarHeaderEncoder.endOfArchive()
}

/// Recomputes the checksum of the header block at `offset` after a test patched it.
func fixTarChecksum(_ bytes: inout [UInt8], blockAt offset: Int = 0) {
    for index in 148..<156 { bytes[offset + index] = 0x20 }
    let sum = bytes[offset..<(offset + 512)].reduce(0) { $0 + Int($1) }
    let digits = Array(String(sum, radix: 8).utf8)
    let field = [UInt8](repeating: 0x30, count: 6 - digits.count) + digits + [0, 0x20]
    bytes.replaceSubrange((offset + 148)..<(offset + 156), with: field)
}

/// A byte string from ASCII text.
func tarBytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// The first index where two byte arrays differ (their common length when one is a prefix of
/// the other), or nil when equal; keeps failure messages short for large buffers.
func tarFirstDifference(_ lhs: [UInt8], _ rhs: [UInt8]) -> Int? {
    if lhs == rhs { return nil }
    for index in 0..<min(lhs.count, rhs.count) where lhs[index] != rhs[index] { return index }
    return min(lhs.count, rhs.count)
}

/// One pax record with its length computed independently of the encoder (by search).
func tarPaxRecordText(_ keyword: String, _ value: String) -> String {
    let body = " \(keyword)=\(value)\n"
    var length = body.utf8.count + 1
    while String(length).utf8.count + body.utf8.count != length { length += 1 }
    return "\(length)\(body)"
}
