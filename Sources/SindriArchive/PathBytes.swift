/// Helpers for paths kept as raw bytes (file names need not be UTF-8).
public enum PathBytes {
    /// A printable, single-line rendering of a path: valid UTF-8 is kept, control characters,
    /// backslashes and invalid bytes become escapes (`\n`, `\t`, `\\`, `\x1b`), so a hostile name
    /// can never move the cursor or forge a line in a terminal or a log.
    public static func display(_ bytes: some Collection<UInt8>) -> String {
        let bytes = Array(bytes)
        var out = ""
        out.reserveCapacity(bytes.count)
        func escape(_ byte: UInt8) {
            let hex = Array("0123456789abcdef")
            out += "\\x"
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0xF)])
        }
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte < 0x80 {
                switch byte {
                case 0x0A: out += "\\n"
                case 0x09: out += "\\t"
                case 0x0D: out += "\\r"
                case 0x5C: out += "\\\\"
                case 0..<0x20, 0x7F: escape(byte)
                default: out.unicodeScalars.append(Unicode.Scalar(byte))
                }
                index += 1
                continue
            }
            // Multi-byte: keep a valid, printable scalar; escape anything else byte by byte.
            let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
            if length > 1, index + length <= bytes.count {
                var decoder = UTF8()
                var slice = bytes[index..<(index + length)].makeIterator()
                if case .scalarValue(let scalar) = decoder.decode(&slice), scalar.value >= 0xA0,
                   scalar.properties.generalCategory != .format,
                   scalar.properties.generalCategory != .lineSeparator,
                   scalar.properties.generalCategory != .paragraphSeparator {
                    out.unicodeScalars.append(scalar)
                    index += length
                    continue
                }
            }
            escape(byte)
            index += 1
        }
        return out
    }

    /// The UTF-8 bytes of a path given as a Swift string (for paths typed by a user).
    public static func from(_ string: String) -> [UInt8] { Array(string.utf8) }

    /// Joins two relative paths with a `/`.
    public static func join(_ parent: [UInt8], _ name: [UInt8]) -> [UInt8] {
        if parent.isEmpty { return name }
        var path = parent
        path.reserveCapacity(parent.count + 1 + name.count)
        path.append(UInt8(ascii: "/"))
        path.append(contentsOf: name)
        return path
    }

    /// Whether `path` equals `prefix` or lies below it (component-wise, not string-wise).
    public static func isSameOrBelow(_ path: [UInt8], _ prefix: [UInt8]) -> Bool {
        if path.count < prefix.count { return false }
        if !path.starts(with: prefix) { return false }
        return path.count == prefix.count || path[prefix.count] == UInt8(ascii: "/")
    }
}
