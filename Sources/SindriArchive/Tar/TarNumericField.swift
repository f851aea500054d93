/// Encoding and decoding of the numeric header fields: zero-padded octal (POSIX), GNU base-256,
/// and the decimal numbers of pax records. Hand-written because the encoder runs once per file
/// for hundreds of thousands of files, and because the decoder must never trap on hostile input.
enum TarNumericField {
    /// The largest value an octal field of `width` bytes holds with its NUL terminator
    /// (`width - 1` digits): 2097151 for 8-byte fields, 8 GiB - 1 for 12-byte fields.
    static func maximumOctal(width: Int) -> UInt64 {
        (UInt64(1) << UInt64(3 * (width - 1))) - 1
    }

    /// Writes `value` as `width - 1` zero-padded octal digits and a NUL, the layout GNU tar and
    /// Python use. The caller has checked that the value fits.
    @inline(__always)
    static func writeOctal(_ value: UInt64, width: Int, into field: UnsafeMutablePointer<UInt8>) {
        var remaining = value
        var index = width - 2
        while index >= 0 {
            field[index] = UInt8(truncatingIfNeeded: remaining & 7) &+ 0x30
            remaining >>= 3
            index -= 1
        }
        field[width - 1] = 0
    }

    /// Writes `value` in GNU base-256: a 0x80 marker byte, then big-endian bytes.
    static func writeBase256(_ value: UInt64, width: Int, into field: UnsafeMutablePointer<UInt8>) {
        var remaining = value
        var index = width - 1
        while index >= 1 {
            field[index] = UInt8(truncatingIfNeeded: remaining)
            remaining >>= 8
            index -= 1
        }
        field[0] = 0x80
    }

    /// Parses an unsigned field: octal (leading spaces, digits, then only spaces or NULs; an
    /// empty field is 0) or positive base-256. Returns nil for anything else, for a negative
    /// base-256 value and on overflow.
    static func parseUnsigned(_ field: UnsafeRawBufferPointer) -> UInt64? {
        guard let first = field.first else { return nil }
        if first & 0x80 != 0 {
            guard first == 0x80 else { return nil }
            return parseBase256Magnitude(field)
        }
        return parseOctal(field)
    }

    /// Parses a signed field (mtime): octal, or base-256 with a 0x80 (positive) or 0xFF
    /// (negative, two's complement) marker. Returns nil when malformed or outside `Int64`.
    static func parseSigned(_ field: UnsafeRawBufferPointer) -> Int64? {
        guard let first = field.first else { return nil }
        if first == 0xFF {
            return parseNegativeBase256(field)
        }
        guard let magnitude = parseUnsigned(field), magnitude <= UInt64(Int64.max) else { return nil }
        return Int64(magnitude)
    }

    private static func parseOctal(_ field: UnsafeRawBufferPointer) -> UInt64? {
        var index = 0
        let count = field.count
        while index < count && field[index] == 0x20 { index += 1 }
        var value: UInt64 = 0
        while index < count {
            let byte = field[index]
            guard byte >= 0x30 && byte <= 0x37 else { break }
            guard value <= UInt64.max >> 3 else { return nil }
            value = value << 3 | UInt64(byte - 0x30)
            index += 1
        }
        while index < count {
            let byte = field[index]
            guard byte == 0 || byte == 0x20 else { return nil }
            index += 1
        }
        return value
    }

    /// The big-endian magnitude after the marker byte; bytes beyond the low eight must be zero.
    private static func parseBase256Magnitude(_ field: UnsafeRawBufferPointer) -> UInt64? {
        let digits = field.count - 1
        let significantStart = 1 + max(0, digits - 8)
        for index in 1..<significantStart where field[index] != 0 {
            return nil
        }
        var value: UInt64 = 0
        for index in significantStart..<field.count {
            value = value << 8 | UInt64(field[index])
        }
        return value
    }

    /// A two's complement value after a 0xFF marker; bytes beyond the low eight must be 0xFF and
    /// the result must be negative (otherwise it lies below `Int64.min`).
    private static func parseNegativeBase256(_ field: UnsafeRawBufferPointer) -> Int64? {
        let digits = field.count - 1
        guard digits >= 1 else { return nil }
        let significantStart = 1 + max(0, digits - 8)
        for index in 1..<significantStart where field[index] != 0xFF {
            return nil
        }
        var value: UInt64 = UInt64.max  // sign extension of the marker
        for index in significantStart..<field.count {
            value = value << 8 | UInt64(field[index])
        }
        let signed = Int64(bitPattern: value)
        return signed < 0 ? signed : nil
    }

    /// Number of decimal digits of `value` (1 for 0).
    @inline(__always)
    static func decimalDigitCount(_ value: UInt64) -> Int {
        var count = 1
        var remaining = value
        while remaining >= 10 {
            remaining /= 10
            count += 1
        }
        return count
    }

    /// Number of bytes `value` takes in decimal, with a leading `-` when negative.
    static func decimalLength(_ value: Int64) -> Int {
        value < 0 ? 1 + decimalDigitCount(value.magnitude) : decimalDigitCount(UInt64(value))
    }

    /// Appends `value` in decimal.
    static func appendDecimal(_ value: UInt64, to out: inout [UInt8]) {
        let digits = decimalDigitCount(value)
        let start = out.count
        out.append(contentsOf: repeatElement(0x30, count: digits))
        var remaining = value
        var index = start + digits - 1
        while index >= start {
            out[index] = UInt8(truncatingIfNeeded: remaining % 10) &+ 0x30
            remaining /= 10
            index -= 1
        }
    }

    /// Appends `value` in decimal with a leading `-` when negative.
    static func appendDecimal(_ value: Int64, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        appendDecimal(value.magnitude, to: &out)
    }
}
