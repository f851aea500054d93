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

    /// Appends `entry` as one line. Keys and numbers are appended as bytes (no string
    /// interpolation per field): the index of a large tree is written on every backup.
    public static func append(_ entry: BackupIndexEntry, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        appendName("path", entry.path, to: &out)
        appendLiteral(",\"type\":\"", to: &out)
        switch entry.kind {
        case .file: appendLiteral("file", to: &out)
        case .directory: appendLiteral("directory", to: &out)
        case .symlink: appendLiteral("symlink", to: &out)
        case .hardlink: appendLiteral("hardlink", to: &out)
        case .fifo: appendLiteral("fifo", to: &out)
        }
        appendLiteral("\",\"size\":", to: &out)
        appendDecimal(entry.size, to: &out)
        appendLiteral(",\"mtime_ns\":", to: &out)
        appendDecimal(entry.modificationNanoseconds, to: &out)
        appendLiteral(",\"ctime_ns\":", to: &out)
        appendDecimal(entry.changeNanoseconds, to: &out)
        appendLiteral(",\"inode\":", to: &out)
        appendDecimal(entry.inode, to: &out)
        appendLiteral(",\"device\":", to: &out)
        appendDecimal(entry.device, to: &out)
        appendLiteral(",\"mode\":", to: &out)
        appendDecimal(UInt64(entry.mode), to: &out)
        appendLiteral(",\"uid\":", to: &out)
        appendDecimal(UInt64(entry.uid), to: &out)
        appendLiteral(",\"gid\":", to: &out)
        appendDecimal(UInt64(entry.gid), to: &out)
        if entry.kind == .symlink || entry.kind == .hardlink {
            out.append(UInt8(ascii: ","))
            appendName("link", entry.linkTarget, to: &out)
        }
        if let digest = entry.sha256 {
            appendLiteral(",\"sha256\":\"", to: &out)
            appendHex(digest, to: &out)
            out.append(UInt8(ascii: "\""))
        }
        if let archive = entry.archive {
            appendLiteral(",\"archive\":", to: &out)
            appendString(archive.utf8, to: &out)
        }
        out.append(contentsOf: [UInt8(ascii: "}"), 0x0A])
    }

    /// The whole member for `entries`.
    public static func encode(_ entries: [BackupIndexEntry]) -> [UInt8] {
        var out = header(entries: entries.count)
        out.reserveCapacity(entries.count * 400)
        for entry in entries { append(entry, to: &out) }
        return out
    }

    private static func appendLiteral(_ text: StaticString, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Decimal digits of `value`, written backwards into a small stack buffer first.
    static func appendDecimal(_ value: UInt64, to out: inout [UInt8]) {
        guard value >= 10 else {
            out.append(UInt8(ascii: "0") + UInt8(value))
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var rest = value
            var start = 20
            while rest > 0 {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start..<20]))
        }
    }

    static func appendDecimal(_ value: Int64, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        appendDecimal(value.magnitude, to: &out)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    static func appendHex(_ bytes: [UInt8], to out: inout [UInt8]) {
        for byte in bytes {
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 0xF)])
        }
    }

    /// `"key":"…"` for a UTF-8 name, `"key_b64":"…"` for any other bytes.
    private static func appendName(_ key: StaticString, _ bytes: [UInt8], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        appendLiteral(key, to: &out)
        if bytes.allSatisfy({ $0 < 0x80 }) || String(validating: bytes, as: UTF8.self) != nil {
            appendLiteral("\":", to: &out)
            appendString(bytes, to: &out)
        } else {
            appendLiteral("_b64\":\"", to: &out)
            out.append(contentsOf: Base64.encode(bytes))
            out.append(UInt8(ascii: "\""))
        }
    }

    /// A JSON string of valid UTF-8 bytes: quote, backslash and control characters escaped.
    /// Bytes that need no escape (nearly every name) are appended in one piece.
    private static func appendString(_ bytes: some Collection<UInt8>, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        guard bytes.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "\"") || $0 == 0x5C }) else {
            out.append(contentsOf: bytes)
            out.append(UInt8(ascii: "\""))
            return
        }
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
