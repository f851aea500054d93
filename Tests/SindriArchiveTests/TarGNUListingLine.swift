import Foundation
import Testing

@testable import SindriArchive

#if canImport(Glibc)
import Glibc
#endif

/// One line of `tar -tv --numeric-owner --full-time --quoting-style=literal`.
struct TarGNUListingLine: Hashable, CustomStringConvertible {
    var permissions: String
    var owner: String
    var sizeColumn: String
    var date: String
    var time: String
    /// The name, followed by ` -> target` or ` link to target` for links, as raw bytes.
    var name: [UInt8]

    var description: String {
        "\(permissions) \(owner) \(sizeColumn) \(date) \(time) \(PathBytes.display(name))"
    }

    /// Splits a line into its five space-separated columns and the remaining name.
    init?(_ line: ArraySlice<UInt8>) {
        var columns: [String] = []
        var index = line.startIndex
        for _ in 0..<5 {
            while index < line.endIndex, line[index] == 0x20 { index += 1 }
            let start = index
            while index < line.endIndex, line[index] != 0x20 { index += 1 }
            guard index > start else { return nil }
            columns.append(String(decoding: line[start..<index], as: UTF8.self))
        }
        guard index < line.endIndex else { return nil }
        permissions = columns[0]
        owner = columns[1]
        sizeColumn = columns[2]
        date = columns[3]
        time = columns[4]
        name = Array(line[(index + 1)...])
    }

    /// What GNU tar prints for an entry we encoded.
    init(expected entry: TarEntry) {
        permissions = Self.permissionString(entry.kind, entry.mode)
        owner = "\(entry.uid)/\(entry.gid)"
        switch entry.kind {
        case .characterDevice, .blockDevice: sizeColumn = "\(entry.deviceMajor),\(entry.deviceMinor)"
        case .regular, .other: sizeColumn = "\(entry.size)"
        default: sizeColumn = "0"
        }
        var seconds = time_t(entry.modificationTime)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        date = "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))"
        time = "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))"
        var name = entry.path
        switch entry.kind {
        case .directory: name += tarBytes("/")
        case .symbolicLink: name += tarBytes(" -> ") + entry.linkTarget
        case .hardLink: name += tarBytes(" link to ") + entry.linkTarget
        default: break
        }
        self.name = name
    }

    static func permissionString(_ kind: TarEntryKind, _ mode: UInt32) -> String {
        let type: Character
        switch kind {
        case .regular, .other: type = "-"
        case .directory: type = "d"
        case .symbolicLink: type = "l"
        case .hardLink: type = "h"
        case .characterDevice: type = "c"
        case .blockDevice: type = "b"
        case .fifo: type = "p"
        }
        func bit(_ mask: UInt32, _ letter: Character) -> Character { mode & mask != 0 ? letter : "-" }
        func special(_ execute: UInt32, _ specialMask: UInt32, _ set: Character, _ unset: Character) -> Character {
            switch (mode & execute != 0, mode & specialMask != 0) {
            case (true, true): return set
            case (false, true): return unset
            case (true, false): return "x"
            case (false, false): return "-"
            }
        }
        return String([
            type,
            bit(0o400, "r"), bit(0o200, "w"), special(0o100, 0o4000, "s", "S"),
            bit(0o040, "r"), bit(0o020, "w"), special(0o010, 0o2000, "s", "S"),
            bit(0o004, "r"), bit(0o002, "w"), special(0o001, 0o1000, "t", "T"),
        ])
    }
}

/// Lists an archive with GNU tar; returns the parsed lines and stderr.
func gnuTarList(_ archivePath: String, in directory: TarTemporaryDirectory) throws -> (lines: [TarGNUListingLine], result: TarToolResult) {
    let result = try runTarTool(
        ["tar", "--numeric-owner", "--full-time", "--quoting-style=literal", "-tvf", archivePath], in: directory)
    let lines = result.standardOutput.split(separator: 0x0A).compactMap { TarGNUListingLine($0) }
    return (lines, result)
}
