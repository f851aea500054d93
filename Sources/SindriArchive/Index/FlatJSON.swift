/// A scanner for the one-level JSON objects of the index: string, integer, boolean and null
/// values (nested values are refused).
///
/// It hands each key and value to a closure as it meets them instead of building a dictionary:
/// an index has one object per path, and a dictionary of `String` keys per line (plus an array
/// per string) cost more than everything else an incremental backup does with the index. A
/// string without escapes comes back as the bytes between its quotes, in the line itself; only
/// a string with escapes is copied (unescaped) into an array.
enum FlatJSON {
    /// A key or value as the scanner met it. `text` points into the line being scanned and is
    /// valid only during the call it is handed to.
    enum Token {
        /// A string without escapes: the (valid UTF-8) bytes between its quotes.
        case text(UnsafeRawBufferPointer)
        /// A string with escapes, unescaped (valid UTF-8).
        case unescaped([UInt8])
        case integer(Int64)
        /// An integer above Int64.max (device and inode numbers are unsigned).
        case unsigned(UInt64)
        case boolean(Bool)
        case null

        /// The bytes of a string, nil for any other value.
        var stringBytes: [UInt8]? {
            switch self {
            case .text(let raw): return Array(raw)
            case .unescaped(let bytes): return bytes
            default: return nil
            }
        }

        /// Whether this is the string `literal` (its UTF-8 bytes).
        func isString(_ literal: StaticString) -> Bool {
            let expected = UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
            switch self {
            case .text(let raw): return raw.elementsEqual(expected)
            case .unescaped(let bytes): return bytes.elementsEqual(expected)
            default: return false
            }
        }
    }

    struct Malformed: Error {}

    /// Scans one object, calling `field` with each key (always a string token) and its value in
    /// the order they appear. Throws `Malformed` for anything that is not a flat JSON object
    /// (nothing may follow its closing brace but blanks); the caller decides about duplicate keys.
    static func scan(_ bytes: UnsafeRawBufferPointer, _ field: (Token, Token) throws -> Void) throws {
        var cursor = 0
        let count = bytes.count
        func skipSpace() {
            while cursor < count, bytes[cursor] == 0x20 || bytes[cursor] == 0x09 || bytes[cursor] == 0x0D { cursor += 1 }
        }
        func expect(_ byte: UInt8) throws {
            skipSpace()
            guard cursor < count, bytes[cursor] == byte else { throw Malformed() }
            cursor += 1
        }
        try expect(UInt8(ascii: "{"))
        skipSpace()
        if cursor < count, bytes[cursor] == UInt8(ascii: "}") {
            cursor += 1
        } else {
            while true {
                skipSpace()
                let key = try string(bytes, &cursor)
                try expect(UInt8(ascii: ":"))
                skipSpace()
                guard cursor < count else { throw Malformed() }
                let value: Token
                switch bytes[cursor] {
                case UInt8(ascii: "\""): value = try string(bytes, &cursor)
                case UInt8(ascii: "-"), 0x30...0x39: value = try number(bytes, &cursor)
                case UInt8(ascii: "t"): try literal("true", bytes, &cursor); value = .boolean(true)
                case UInt8(ascii: "f"): try literal("false", bytes, &cursor); value = .boolean(false)
                case UInt8(ascii: "n"): try literal("null", bytes, &cursor); value = .null
                default: throw Malformed()
                }
                try field(key, value)
                skipSpace()
                guard cursor < count else { throw Malformed() }
                if bytes[cursor] == UInt8(ascii: ",") { cursor += 1; continue }
                if bytes[cursor] == UInt8(ascii: "}") { cursor += 1; break }
                throw Malformed()
            }
        }
        skipSpace()
        guard cursor == count else { throw Malformed() }
    }

    private static func literal(_ word: StaticString, _ bytes: UnsafeRawBufferPointer, _ cursor: inout Int) throws {
        let expected = UnsafeRawBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        guard cursor + expected.count <= bytes.count,
              UnsafeRawBufferPointer(rebasing: bytes[cursor..<(cursor + expected.count)]).elementsEqual(expected) else { throw Malformed() }
        cursor += expected.count
    }

    private static func number(_ bytes: UnsafeRawBufferPointer, _ cursor: inout Int) throws -> Token {
        var negative = false
        if bytes[cursor] == UInt8(ascii: "-") {
            negative = true
            cursor += 1
        }
        var magnitude: UInt64 = 0
        let start = cursor
        while cursor < bytes.count, (0x30...0x39).contains(bytes[cursor]) {
            let (times, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(UInt64(bytes[cursor] - 0x30))
            guard !overflow1, !overflow2 else { throw Malformed() }
            magnitude = sum
            cursor += 1
        }
        // Integers only, without leading zeros (as JSON says).
        guard cursor > start, !(bytes[start] == 0x30 && cursor - start > 1) else { throw Malformed() }
        if cursor < bytes.count, bytes[cursor] == UInt8(ascii: ".") || bytes[cursor] == UInt8(ascii: "e") || bytes[cursor] == UInt8(ascii: "E") {
            throw Malformed()
        }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { throw Malformed() }
            return .integer(magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude))
        }
        return magnitude <= UInt64(Int64.max) ? .integer(Int64(magnitude)) : .unsigned(magnitude)
    }

    /// A string token: finds the closing quote first (skipping the byte after each backslash),
    /// and only unescapes when a backslash was seen. Either way the result is checked to be UTF-8.
    private static func string(_ bytes: UnsafeRawBufferPointer, _ cursor: inout Int) throws -> Token {
        guard cursor < bytes.count, bytes[cursor] == UInt8(ascii: "\"") else { throw Malformed() }
        cursor += 1
        let start = cursor
        var escaped = false
        var ascii = true
        while cursor < bytes.count {
            let byte = bytes[cursor]
            switch byte {
            case UInt8(ascii: "\""):
                let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<cursor])
                cursor += 1
                if escaped {
                    let out = try unescape(raw)
                    guard String(validating: out, as: UTF8.self) != nil else { throw Malformed() }
                    return .unescaped(out)
                }
                guard ascii || String(validating: raw, as: UTF8.self) != nil else { throw Malformed() }
                return .text(raw)
            case 0x5C:
                escaped = true
                cursor += 2
            case 0..<0x20:
                throw Malformed()
            default:
                if byte >= 0x80 { ascii = false }
                cursor += 1
            }
        }
        throw Malformed()
    }

    /// The bytes of a string's content (between its quotes) with its escapes resolved.
    private static func unescape(_ bytes: UnsafeRawBufferPointer) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var cursor = 0
        while cursor < bytes.count {
            let byte = bytes[cursor]
            cursor += 1
            switch byte {
            case 0x5C:
                guard cursor < bytes.count else { throw Malformed() }
                let escape = bytes[cursor]
                cursor += 1
                switch escape {
                case UInt8(ascii: "\""): out.append(UInt8(ascii: "\""))
                case 0x5C: out.append(0x5C)
                case UInt8(ascii: "/"): out.append(UInt8(ascii: "/"))
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4(bytes, &cursor)
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard cursor + 1 < bytes.count, bytes[cursor] == 0x5C, bytes[cursor + 1] == UInt8(ascii: "u") else { throw Malformed() }
                        cursor += 2
                        let low = try hex4(bytes, &cursor)
                        guard (0xDC00...0xDFFF).contains(low) else { throw Malformed() }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let value = Unicode.Scalar(scalar) else { throw Malformed() }
                    out.append(contentsOf: Array(String(Character(value)).utf8))
                default: throw Malformed()
                }
            default: out.append(byte)
            }
        }
        return out
    }

    private static func hex4(_ bytes: UnsafeRawBufferPointer, _ cursor: inout Int) throws -> UInt32 {
        guard cursor + 4 <= bytes.count else { throw Malformed() }
        var value: UInt32 = 0
        for byte in bytes[cursor..<(cursor + 4)] {
            let digit: UInt32
            switch byte {
            case 0x30...0x39: digit = UInt32(byte - 0x30)
            case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
            case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
            default: throw Malformed()
            }
            value = value << 4 | digit
        }
        cursor += 4
        return value
    }
}

/// Standard base64 (RFC 4648, with padding) for names that are not UTF-8.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let b0 = bytes[index], b1 = index + 1 < bytes.count ? bytes[index + 1] : 0, b2 = index + 2 < bytes.count ? bytes[index + 2] : 0
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 3) << 4 | b1 >> 4)])
            out.append(index + 1 < bytes.count ? alphabet[Int((b1 & 0xF) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            out.append(index + 2 < bytes.count ? alphabet[Int(b2 & 0x3F)] : UInt8(ascii: "="))
            index += 3
        }
        return out
    }

    static func decode(_ text: [UInt8]) -> [UInt8]? {
        guard text.count % 4 == 0 else { return nil }
        var out: [UInt8] = []
        var index = 0
        while index < text.count {
            var values: [UInt8] = []
            var padding = 0
            for byte in text[index..<(index + 4)] {
                if byte == UInt8(ascii: "=") { padding += 1; values.append(0); continue }
                guard padding == 0, let value = alphabet.firstIndex(of: byte) else { return nil }
                values.append(UInt8(value))
            }
            guard padding <= 2, padding == 0 || index + 4 == text.count else { return nil }
            out.append(values[0] << 2 | values[1] >> 4)
            if padding < 2 { out.append(values[1] << 4 | values[2] >> 2) }
            if padding < 1 { out.append(values[2] << 6 | values[3]) }
            index += 4
        }
        return out
    }
}
