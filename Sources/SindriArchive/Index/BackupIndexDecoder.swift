/// Why an index member cannot be used, as one sentence.
public struct BackupIndexError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Reads the index member as it streams by, a line at a time.
///
/// A line that lies whole in the bytes fed is parsed where it lies; only a line cut by a chunk
/// boundary is copied (into one buffer, at most `maximumLineLength`). Each line is scanned once
/// (`FlatJSON.scan`) into fixed slots, with no dictionary and no string per key: an incremental
/// backup reads its base's index (one line per path of the tree) before it can decide anything.
public struct BackupIndexDecoder: Sendable {
    private var partial: [UInt8] = []
    private var lineNumber = 0
    /// The header line's entry count, once read.
    public private(set) var declaredEntries: Int?
    private var seen = 0
    /// The last `archive` value read: consecutive files nearly always name the same archive,
    /// so its entries share one string instead of one each.
    private var lastArchive = ""
    private var lastArchiveBytes: [UInt8] = []

    public init() {}

    /// Feeds the next bytes; `onEntry` is called for every complete entry line.
    public mutating func consume(_ bytes: some Collection<UInt8>, onEntry: (BackupIndexEntry) throws -> Void) throws {
        let done: Void? = try bytes.withContiguousStorageIfAvailable { buffer in
            try consume(UnsafeRawBufferPointer(buffer), onEntry: onEntry)
        }
        if done == nil { try Array(bytes).withUnsafeBytes { try consume($0, onEntry: onEntry) } }
    }

    /// Feeds the next bytes; `onEntry` is called for every complete entry line.
    public mutating func consume(_ bytes: UnsafeRawBufferPointer, onEntry: (BackupIndexEntry) throws -> Void) throws {
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != 0x0A { end += 1 }
            guard partial.count + (end - start) <= BackupIndexCodec.maximumLineLength else {
                throw BackupIndexError("line \(lineNumber + 1) of the index is implausibly long")
            }
            let piece = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
            if end == bytes.count {
                partial.append(contentsOf: piece)
                return
            }
            if partial.isEmpty {
                try line(piece, onEntry)
            } else {
                partial.append(contentsOf: piece)
                // Taken out of `self` while `line` (which mutates `self`) reads it.
                var whole: [UInt8] = []
                swap(&whole, &partial)
                try whole.withUnsafeBytes { try line($0, onEntry) }
                whole.removeAll(keepingCapacity: true)
                partial = whole
            }
            start = end + 1
        }
    }

    /// The member ended: it must end with a newline and hold as many entries as its header says.
    public func finish() throws {
        guard partial.isEmpty else { throw BackupIndexError("the index ends inside line \(lineNumber + 1)") }
        guard let declaredEntries else { throw BackupIndexError("the index is empty") }
        guard declaredEntries == seen else {
            throw BackupIndexError("the index declares \(declaredEntries) entries but holds \(seen)")
        }
    }

    /// Decodes a whole member.
    public static func decode(_ bytes: [UInt8]) throws -> [BackupIndexEntry] {
        var decoder = BackupIndexDecoder()
        var entries: [BackupIndexEntry] = []
        try decoder.consume(bytes) { entries.append($0) }
        try decoder.finish()
        return entries
    }

    private mutating func line(_ bytes: UnsafeRawBufferPointer, _ onEntry: (BackupIndexEntry) throws -> Void) throws {
        lineNumber += 1
        var fields = IndexLineFields()
        do {
            try fields.read(bytes)
        } catch {
            throw BackupIndexError("line \(lineNumber) of the index is not a JSON object")
        }
        func fail(_ why: String) -> BackupIndexError { BackupIndexError("line \(lineNumber) of the index \(why)") }
        if lineNumber == 1 {
            guard case .integer(let version)? = fields[.sindriIndex] else { throw fail("is not an index header") }
            guard version == Int64(BackupIndexCodec.formatVersion) else { throw fail("has an unknown index version \(version)") }
            guard case .integer(let count)? = fields[.entries], count >= 0 else { throw fail("has no entry count") }
            declaredEntries = Int(count)
            return
        }
        func integer(_ key: IndexLineFields.Key) throws -> Int64 {
            guard case .integer(let value)? = fields[key] else { throw fail("has no '\(key.name)'") }
            return value
        }
        func unsigned(_ key: IndexLineFields.Key) throws -> UInt64 {
            if case .unsigned(let value)? = fields[key] { return value }
            let value = try integer(key)
            guard value >= 0 else { throw fail("has a negative '\(key.name)'") }
            return UInt64(value)
        }
        func name(_ key: IndexLineFields.Key, _ encoded: IndexLineFields.Key) throws -> [UInt8]? {
            if let bytes = fields[key]?.stringBytes { return bytes }
            if let text = fields[encoded]?.stringBytes {
                guard let bytes = Base64.decode(text) else { throw fail("has a malformed '\(encoded.name)'") }
                return bytes
            }
            return nil
        }
        guard let path = try name(.path, .pathBase64), !path.isEmpty, !path.contains(0) else { throw fail("has no path") }
        guard let kind = fields[.type].flatMap(Self.kind) else { throw fail("has no known 'type'") }
        var entry = BackupIndexEntry(path: path, kind: kind)
        entry.size = try unsigned(.size)
        entry.modificationNanoseconds = try integer(.modificationTime)
        entry.changeNanoseconds = try integer(.changeTime)
        entry.inode = try unsigned(.inode)
        entry.device = try unsigned(.device)
        let mode = try unsigned(.mode), uid = try unsigned(.uid), gid = try unsigned(.gid)
        guard mode <= 0o7777, uid <= UInt64(UInt32.max), gid <= UInt64(UInt32.max) else { throw fail("has an out-of-range mode or owner") }
        (entry.mode, entry.uid, entry.gid) = (UInt32(mode), UInt32(uid), UInt32(gid))
        if kind == .symlink || kind == .hardlink {
            guard let target = try name(.link, .linkBase64), !target.isEmpty, !target.contains(0) else { throw fail("has no link target") }
            entry.linkTarget = target
        }
        if kind == .file {
            guard let digest = fields[.sha256].flatMap(Self.digest) else { throw fail("has no SHA-256 for a file") }
            guard let archive = fields[.archive], let archiveName = archiveName(archive) else {
                throw fail("does not say which archive holds the file")
            }
            entry.sha256 = digest
            entry.archive = archiveName
        }
        seen += 1
        try onEntry(entry)
    }

    private static func kind(_ token: FlatJSON.Token) -> BackupIndexEntry.Kind? {
        switch token {
        case .text(let raw): return BackupIndexEntry.Kind(rawValue: String(decoding: raw, as: UTF8.self))
        case .unescaped(let bytes): return BackupIndexEntry.Kind(rawValue: String(decoding: bytes, as: UTF8.self))
        default: return nil
        }
    }

    /// 32 bytes from 64 lowercase hex digits.
    private static func digest(_ token: FlatJSON.Token) -> [UInt8]? {
        switch token {
        case .text(let raw): return hex(raw).flatMap { $0.count == 32 ? $0 : nil }
        case .unescaped(let bytes): return bytes.withUnsafeBytes(hex).flatMap { $0.count == 32 ? $0 : nil }
        default: return nil
        }
    }

    /// The `archive` value (1 to 128 bytes), the same string as the line before's when equal.
    private mutating func archiveName(_ token: FlatJSON.Token) -> String? {
        switch token {
        case .text(let raw):
            guard !raw.isEmpty, raw.count <= 128 else { return nil }
            if !lastArchiveBytes.withUnsafeBytes({ $0.elementsEqual(raw) }) {
                lastArchiveBytes = Array(raw)
                lastArchive = String(decoding: raw, as: UTF8.self)
            }
            return lastArchive
        case .unescaped(let bytes):
            guard !bytes.isEmpty, bytes.count <= 128 else { return nil }
            return String(decoding: bytes, as: UTF8.self)
        default:
            return nil
        }
    }

    static func hex(_ digits: UnsafeRawBufferPointer) -> [UInt8]? {
        guard digits.count % 2 == 0 else { return nil }
        var out = [UInt8](repeating: 0, count: digits.count / 2)
        for index in out.indices {
            guard let high = nibble(digits[2 * index]), let low = nibble(digits[2 * index + 1]) else { return nil }
            out[index] = high << 4 | low
        }
        return out
    }

    private static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: return byte - 0x30
        case 0x61...0x66: return byte - 0x61 + 10
        default: return nil
        }
    }
}

/// The values of one index line by key, as the scanner met them (tokens point into the line).
/// A key given twice makes the line malformed, as in any JSON object the index accepts; keys
/// the index does not know are kept only to catch their repetition.
private struct IndexLineFields {
    enum Key: Int, CaseIterable {
        case sindriIndex, entries, path, pathBase64, type, size, modificationTime, changeTime
        case inode, device, mode, uid, gid, link, linkBase64, sha256, archive

        var name: StaticString {
            switch self {
            case .sindriIndex: return "sindri_index"
            case .entries: return "entries"
            case .path: return "path"
            case .pathBase64: return "path_b64"
            case .type: return "type"
            case .size: return "size"
            case .modificationTime: return "mtime_ns"
            case .changeTime: return "ctime_ns"
            case .inode: return "inode"
            case .device: return "device"
            case .mode: return "mode"
            case .uid: return "uid"
            case .gid: return "gid"
            case .link: return "link"
            case .linkBase64: return "link_b64"
            case .sha256: return "sha256"
            case .archive: return "archive"
            }
        }

        /// The key named by `bytes`, nil for one the index does not know.
        static func named(_ bytes: UnsafeRawBufferPointer) -> Key? {
            guard let first = bytes.first else { return nil }
            let candidate: Key?
            switch (bytes.count, first) {
            case (4, UInt8(ascii: "p")): candidate = .path
            case (4, UInt8(ascii: "t")): candidate = .type
            case (4, UInt8(ascii: "s")): candidate = .size
            case (4, UInt8(ascii: "m")): candidate = .mode
            case (4, UInt8(ascii: "l")): candidate = .link
            case (3, UInt8(ascii: "u")): candidate = .uid
            case (3, UInt8(ascii: "g")): candidate = .gid
            case (5, UInt8(ascii: "i")): candidate = .inode
            case (6, UInt8(ascii: "d")): candidate = .device
            case (6, UInt8(ascii: "s")): candidate = .sha256
            case (7, UInt8(ascii: "a")): candidate = .archive
            case (7, UInt8(ascii: "e")): candidate = .entries
            case (8, UInt8(ascii: "m")): candidate = .modificationTime
            case (8, UInt8(ascii: "c")): candidate = .changeTime
            case (8, UInt8(ascii: "p")): candidate = .pathBase64
            case (8, UInt8(ascii: "l")): candidate = .linkBase64
            case (12, UInt8(ascii: "s")): candidate = .sindriIndex
            default: candidate = nil
            }
            guard let candidate, bytes.elementsEqual(UnsafeRawBufferPointer(start: candidate.name.utf8Start, count: candidate.name.utf8CodeUnitCount)) else {
                return nil
            }
            return candidate
        }
    }

    private var values = [FlatJSON.Token?](repeating: nil, count: Key.allCases.count)
    private var unknownKeys: [[UInt8]] = []

    subscript(key: Key) -> FlatJSON.Token? { values[key.rawValue] }

    mutating func read(_ line: UnsafeRawBufferPointer) throws {
        try FlatJSON.scan(line) { key, value in
            switch key {
            case .text(let raw):
                try store(Key.named(raw), value) { Array(raw) }
            case .unescaped(let bytes):
                try store(bytes.withUnsafeBytes { Key.named($0) }, value) { bytes }
            default:
                throw FlatJSON.Malformed()
            }
        }
    }

    private mutating func store(_ key: Key?, _ value: FlatJSON.Token, unknown: () -> [UInt8]) throws {
        if let key {
            guard values[key.rawValue] == nil else { throw FlatJSON.Malformed() }
            values[key.rawValue] = value
        } else {
            let name = unknown()
            guard !unknownKeys.contains(name) else { throw FlatJSON.Malformed() }
            unknownKeys.append(name)
        }
    }
}
