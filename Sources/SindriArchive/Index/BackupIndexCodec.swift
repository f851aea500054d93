/// Encodes and decodes the index member: a first line `{"sindri_index":1,"entries":N}`, then
/// one flat JSON object per path, e.g.
/// `{"path":"a/b","type":"file","size":3,"mtime_ns":…,"ctime_ns":…,"inode":…,"device":…,"mode":420,"uid":1000,"gid":1000,"sha256":"…","archive":"…"}`.
///
/// Names that are not valid UTF-8 are written as `path_b64` / `link_b64` (base64 of the exact
/// bytes) instead of `path` / `link`. The encoder and the decoder are written by hand: the
/// index of a large tree has hundreds of thousands of lines, and `JSONEncoder` per line would
/// cost seconds where an incremental backup should take less than one.
public enum BackupIndexCodec {
    /// The index format this tool writes (the header line's `sindri_index`).
    public static let formatVersion = 1
    /// Longest line the decoder accepts: two 4 KiB names escaped 6-fold, and the fixed fields.
    public static let maximumLineLength = 1 << 16

    /// The header line.
    public static func header(entries: Int) -> [UInt8] {
        Array("{\"sindri_index\":\(formatVersion),\"entries\":\(entries)}\n".utf8)
    }

    /// Appends `entry` as one line.
    public static func append(_ entry: BackupIndexEntry, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        appendName("path", entry.path, to: &out)
        appendRaw(",\"type\":\"\(entry.kind.rawValue)\"", to: &out)
        appendRaw(",\"size\":\(entry.size),\"mtime_ns\":\(entry.modificationNanoseconds),\"ctime_ns\":\(entry.changeNanoseconds)", to: &out)
        appendRaw(",\"inode\":\(entry.inode),\"device\":\(entry.device),\"mode\":\(entry.mode),\"uid\":\(entry.uid),\"gid\":\(entry.gid)", to: &out)
        if entry.kind == .symlink || entry.kind == .hardlink {
            out.append(UInt8(ascii: ","))
            appendName("link", entry.linkTarget, to: &out)
        }
        if let digest = entry.sha256 {
            appendRaw(",\"sha256\":\"", to: &out)
            appendHex(digest, to: &out)
            out.append(UInt8(ascii: "\""))
        }
        if let archive = entry.archive {
            appendRaw(",\"archive\":", to: &out)
            appendString(Array(archive.utf8), to: &out)
        }
        out.append(contentsOf: [UInt8(ascii: "}"), 0x0A])
    }

    /// The whole member for `entries`.
    public static func encode(_ entries: [BackupIndexEntry]) -> [UInt8] {
        var out = header(entries: entries.count)
        out.reserveCapacity(entries.count * 260)
        for entry in entries { append(entry, to: &out) }
        return out
    }

    private static func appendRaw(_ text: String, to out: inout [UInt8]) { out.append(contentsOf: text.utf8) }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    static func appendHex(_ bytes: [UInt8], to out: inout [UInt8]) {
        for byte in bytes {
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 0xF)])
        }
    }

    private static func appendName(_ key: String, _ bytes: [UInt8], to out: inout [UInt8]) {
        if String(validating: bytes, as: UTF8.self) != nil {
            appendRaw("\"\(key)\":", to: &out)
            appendString(bytes, to: &out)
        } else {
            appendRaw("\"\(key)_b64\":\"", to: &out)
            out.append(contentsOf: Base64.encode(bytes))
            out.append(UInt8(ascii: "\""))
        }
    }

    /// A JSON string of valid UTF-8 bytes: quote, backslash and control characters escaped.
    private static func appendString(_ bytes: [UInt8], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, UInt8(ascii: "\"")])
            case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0..<0x20, 0x7F:
                out.append(contentsOf: Array("\\u00".utf8))
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0xF)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

/// Why an index member cannot be used, as one sentence.
public struct BackupIndexError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Reads the index member as it streams by, a line at a time, keeping at most one partial line.
public struct BackupIndexDecoder: Sendable {
    private var partial: [UInt8] = []
    private var lineNumber = 0
    /// The header line's entry count, once read.
    public private(set) var declaredEntries: Int?
    private var seen = 0

    public init() {}

    /// Feeds the next bytes; `onEntry` is called for every complete entry line.
    public mutating func consume(_ bytes: some Collection<UInt8>, onEntry: (BackupIndexEntry) throws -> Void) throws {
        for byte in bytes {
            if byte == 0x0A {
                try line(onEntry)
                partial.removeAll(keepingCapacity: true)
            } else {
                guard partial.count < BackupIndexCodec.maximumLineLength else {
                    throw BackupIndexError("line \(lineNumber + 1) of the index is implausibly long")
                }
                partial.append(byte)
            }
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

    private mutating func line(_ onEntry: (BackupIndexEntry) throws -> Void) throws {
        lineNumber += 1
        let fields: [String: FlatJSON.Value]
        do {
            fields = try FlatJSON.parse(partial)
        } catch {
            throw BackupIndexError("line \(lineNumber) of the index is not a JSON object")
        }
        func fail(_ why: String) -> BackupIndexError { BackupIndexError("line \(lineNumber) of the index \(why)") }
        if lineNumber == 1 {
            guard case .integer(let version)? = fields["sindri_index"] else { throw fail("is not an index header") }
            guard version == Int64(BackupIndexCodec.formatVersion) else { throw fail("has an unknown index version \(version)") }
            guard case .integer(let count)? = fields["entries"], count >= 0 else { throw fail("has no entry count") }
            declaredEntries = Int(count)
            return
        }
        func integer(_ key: String) throws -> Int64 {
            guard case .integer(let value)? = fields[key] else { throw fail("has no '\(key)'") }
            return value
        }
        func unsigned(_ key: String) throws -> UInt64 {
            if case .unsigned(let value)? = fields[key] { return value }
            let value = try integer(key)
            guard value >= 0 else { throw fail("has a negative '\(key)'") }
            return UInt64(value)
        }
        func name(_ key: String) throws -> [UInt8]? {
            if case .string(let bytes)? = fields[key] { return bytes }
            if case .string(let text)? = fields[key + "_b64"] {
                guard let bytes = Base64.decode(text) else { throw fail("has a malformed '\(key)_b64'") }
                return bytes
            }
            return nil
        }
        guard let path = try name("path"), !path.isEmpty, !path.contains(0) else { throw fail("has no path") }
        guard case .string(let typeBytes)? = fields["type"], let kind = BackupIndexEntry.Kind(rawValue: String(decoding: typeBytes, as: UTF8.self)) else {
            throw fail("has no known 'type'")
        }
        var entry = BackupIndexEntry(path: path, kind: kind)
        entry.size = try unsigned("size")
        entry.modificationNanoseconds = try integer("mtime_ns")
        entry.changeNanoseconds = try integer("ctime_ns")
        entry.inode = try unsigned("inode")
        entry.device = try unsigned("device")
        let mode = try unsigned("mode"), uid = try unsigned("uid"), gid = try unsigned("gid")
        guard mode <= 0o7777, uid <= UInt64(UInt32.max), gid <= UInt64(UInt32.max) else { throw fail("has an out-of-range mode or owner") }
        (entry.mode, entry.uid, entry.gid) = (UInt32(mode), UInt32(uid), UInt32(gid))
        if kind == .symlink || kind == .hardlink {
            guard let target = try name("link"), !target.isEmpty, !target.contains(0) else { throw fail("has no link target") }
            entry.linkTarget = target
        }
        if kind == .file {
            guard case .string(let hex)? = fields["sha256"], let digest = Self.hex(hex), digest.count == 32 else {
                throw fail("has no SHA-256 for a file")
            }
            guard case .string(let archive)? = fields["archive"], !archive.isEmpty, archive.count <= 128 else {
                throw fail("does not say which archive holds the file")
            }
            entry.sha256 = digest
            entry.archive = String(decoding: archive, as: UTF8.self)
        }
        seen += 1
        try onEntry(entry)
    }

    static func hex(_ bytes: [UInt8]) -> [UInt8]? {
        guard bytes.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count / 2)
        var index = 0
        while index < bytes.count {
            guard let high = nibble(bytes[index]), let low = nibble(bytes[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
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
