/// A parser for the one-level JSON objects of the index: string, integer, boolean and null
/// values (nested values are refused). Strings come back as UTF-8 bytes.
enum FlatJSON {
    enum Value: Equatable {
        case string([UInt8])
        case integer(Int64)
        /// An integer above Int64.max (device and inode numbers are unsigned).
        case unsigned(UInt64)
        case boolean(Bool)
        case null
    }

    struct Malformed: Error {}

    static func parse(_ bytes: [UInt8]) throws -> [String: Value] {
        var cursor = 0
        var result: [String: Value] = [:]
        func skipSpace() {
            while cursor < bytes.count, bytes[cursor] == 0x20 || bytes[cursor] == 0x09 || bytes[cursor] == 0x0D { cursor += 1 }
        }
        func expect(_ byte: UInt8) throws {
            skipSpace()
            guard cursor < bytes.count, bytes[cursor] == byte else { throw Malformed() }
            cursor += 1
        }
        try expect(UInt8(ascii: "{"))
        skipSpace()
        if cursor < bytes.count, bytes[cursor] == UInt8(ascii: "}") {
            cursor += 1
        } else {
            while true {
                skipSpace()
                let key = String(decoding: try string(bytes, &cursor), as: UTF8.self)
                try expect(UInt8(ascii: ":"))
                skipSpace()
                guard cursor < bytes.count else { throw Malformed() }
                let value: Value
                switch bytes[cursor] {
                case UInt8(ascii: "\""): value = .string(try string(bytes, &cursor))
                case UInt8(ascii: "-"), 0x30...0x39: value = try number(bytes, &cursor)
                case UInt8(ascii: "t"): try literal("true", bytes, &cursor); value = .boolean(true)
                case UInt8(ascii: "f"): try literal("false", bytes, &cursor); value = .boolean(false)
                case UInt8(ascii: "n"): try literal("null", bytes, &cursor); value = .null
                default: throw Malformed()
                }
                guard result.updateValue(value, forKey: key) == nil else { throw Malformed() }
                skipSpace()
                guard cursor < bytes.count else { throw Malformed() }
                if bytes[cursor] == UInt8(ascii: ",") { cursor += 1; continue }
                if bytes[cursor] == UInt8(ascii: "}") { cursor += 1; break }
                throw Malformed()
            }
        }
        skipSpace()
        guard cursor == bytes.count else { throw Malformed() }
        return result
    }

    private static func literal(_ word: String, _ bytes: [UInt8], _ cursor: inout Int) throws {
        let expected = Array(word.utf8)
        guard cursor + expected.count <= bytes.count, Array(bytes[cursor..<(cursor + expected.count)]) == expected else { throw Malformed() }
        cursor += expected.count
    }

    private static func number(_ bytes: [UInt8], _ cursor: inout Int) throws -> Value {
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

    private static func string(_ bytes: [UInt8], _ cursor: inout Int) throws -> [UInt8] {
        guard cursor < bytes.count, bytes[cursor] == UInt8(ascii: "\"") else { throw Malformed() }
        cursor += 1
        var out: [UInt8] = []
        while cursor < bytes.count {
            let byte = bytes[cursor]
            cursor += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard String(validating: out, as: UTF8.self) != nil else { throw Malformed() }
                return out
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
            case 0..<0x20: throw Malformed()
            default: out.append(byte)
            }
        }
        throw Malformed()
    }

    private static func hex4(_ bytes: [UInt8], _ cursor: inout Int) throws -> UInt32 {
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
