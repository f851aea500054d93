import Foundation
import SindriArchive
import Testing
@testable import SindriBackup

/// The manifest member is written first as a placeholder and overwritten in place at the end, so
/// its size must not depend on the figures only known at the end (archive size, checksum,
/// duration, ratio). These tests read the member with a small independent reader (stored deflate
/// blocks, bitwise CRC-32, ustar fields), not with the codecs that wrote it.
@Suite("manifest member")
struct BackupManifestMemberTests {
    /// Final figures at the edges of what a backup can produce.
    struct Figures: Sendable, CustomTestStringConvertible {
        var label: String
        var compressedSize: UInt64
        var duration: Double
        var checksum: String
        var testDescription: String { label }
    }

    static let hex = String(repeating: "0123456789abcdef", count: 4)

    static let figures: [Figures] = [
        Figures(label: "placeholder figures", compressedSize: 0, duration: 0, checksum: ManifestChecksum.pendingValue),
        Figures(label: "a tiny, fast archive", compressedSize: 2048, duration: 0.0004, checksum: hex),
        Figures(label: "a 5 GiB archive in a minute", compressedSize: 5 << 30, duration: 61.2345678, checksum: hex),
        Figures(label: "an awkward ratio", compressedSize: 1_000_003, duration: 1 / 3, checksum: hex),
        Figures(label: "the largest file size", compressedSize: UInt64(Int64.max), duration: 86_400 * 365, checksum: hex),
        Figures(label: "every bit set", compressedSize: UInt64.max, duration: 1e12, checksum: hex),
    ]

    static let homes: [(files: Int, bytes: UInt64)] = [(0, 0), (1, 1), (1234, 5_242_880), (Int(Int32.max), UInt64.max / 2)]

    private func writer(files: Int, bytes: UInt64) -> ManifestMember {
        ManifestMember(
            createdAt: Date(timeIntervalSince1970: 1_769_009_400),
            source: SourceInfo(instanceName: "my-sindri-dev", provider: "fly", hostname: "my-sindri-dev.fly.dev"),
            profile: .standard,
            extensions: ExtensionsInfo(installed: ["docker", "nodejs", "python"], versions: ["nodejs": "1.2.0"]),
            filesIncluded: files, totalBytes: bytes)
    }

    @Test("the member has the placeholder's exact size whatever the final figures", arguments: figures)
    func sizeIsFixed(_ final: Figures) throws {
        for home in Self.homes {
            let writer = writer(files: home.files, bytes: home.bytes)
            let placeholder = try writer.encodedMember(
                checksum: ManifestChecksum(value: ManifestChecksum.pendingValue), compressedSize: 0, duration: 0)
            let member = try writer.encodedMember(
                checksum: ManifestChecksum(value: final.checksum), compressedSize: final.compressedSize, duration: final.duration)
            #expect(member.count == placeholder.count, "\(home): \(member.count) != \(placeholder.count)")

            // And it still holds a readable manifest with those figures.
            let tar = try StoredMemberReader.inflate(member)
            let (name, content) = try UstarReader.firstFile(tar)
            #expect(name == ".backup-manifest.json")
            let manifest = try BackupManifest.decode(content)
            #expect(manifest.checksum.value == final.checksum)
            #expect(manifest.statistics.compressedSizeBytes == final.compressedSize)
            #expect(manifest.statistics.filesIncluded == home.files)
            #expect(manifest.statistics.totalSizeBytes == home.bytes)
            #expect(abs((manifest.statistics.durationSeconds ?? -1) - final.duration) <= 0.0005 * max(1, final.duration))
        }
    }
}

/// Inflates a gzip member made of stored deflate blocks (the only kind the manifest member uses),
/// checking the CRC-32 and ISIZE trailer.
enum StoredMemberReader {
    struct Malformed: Error, CustomStringConvertible {
        var description: String
    }

    static func inflate(_ member: [UInt8]) throws -> [UInt8] {
        guard member.count >= 18, member[0] == 0x1F, member[1] == 0x8B, member[2] == 8, member[3] == 0 else {
            throw Malformed(description: "not a plain gzip member")
        }
        var position = 10
        var output: [UInt8] = []
        while true {
            let flags = member[position]
            guard flags & 0b110 == 0 else { throw Malformed(description: "block at \(position) is not stored") }
            let length = Int(member[position + 1]) | Int(member[position + 2]) << 8
            let complement = Int(member[position + 3]) | Int(member[position + 4]) << 8
            guard length ^ complement == 0xFFFF else { throw Malformed(description: "LEN/NLEN mismatch at \(position)") }
            output += member[(position + 5)..<(position + 5 + length)]
            position += 5 + length
            if flags & 1 == 1 { break }
        }
        guard member.count == position + 8 else { throw Malformed(description: "\(member.count - position - 8) stray bytes after the trailer") }
        let crc = UInt32(member[position]) | UInt32(member[position + 1]) << 8 | UInt32(member[position + 2]) << 16 | UInt32(member[position + 3]) << 24
        let size = UInt32(member[position + 4]) | UInt32(member[position + 5]) << 8 | UInt32(member[position + 6]) << 16 | UInt32(member[position + 7]) << 24
        guard crc == crc32(output) else { throw Malformed(description: "CRC-32 mismatch") }
        guard size == UInt32(truncatingIfNeeded: output.count) else { throw Malformed(description: "ISIZE mismatch") }
        return output
    }

    /// Bitwise CRC-32 (polynomial 0xEDB88320), slow and obviously right.
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}

/// Reads the first member of a ustar stream: its name and content.
enum UstarReader {
    static func firstFile(_ tar: [UInt8]) throws -> (String, [UInt8]) {
        guard tar.count >= 512, Array(tar[257..<263]) == Array("ustar\0".utf8) else {
            throw StoredMemberReader.Malformed(description: "no ustar header")
        }
        let nameField = tar[0..<100]
        let name = String(decoding: nameField.prefix { $0 != 0 }, as: UTF8.self)
        let sizeText = String(decoding: tar[124..<136].prefix { $0 != 0 && $0 != 0x20 }, as: UTF8.self)
        guard let size = Int(sizeText, radix: 8), tar.count >= 512 + size else {
            throw StoredMemberReader.Malformed(description: "bad size field '\(sizeText)'")
        }
        return (name, Array(tar[512..<(512 + size)]))
    }
}
