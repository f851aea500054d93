import Foundation
import Testing

@testable import SindriArchive

#if canImport(Glibc)
import Glibc
#endif

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
