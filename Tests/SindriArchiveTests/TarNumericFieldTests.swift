import Testing

@testable import SindriArchive

@Suite("Tar numeric fields")
struct TarNumericFieldTests {
    @Test("unsigned fields: octal with optional spaces and NULs, or 0x80 base-256", arguments: [
        (tarBytes("0000644\0"), 0o644),
        (tarBytes("  644 \0 "), 0o644),
        (tarBytes("000000000012"), 0o12),
        ([0, 0, 0, 0, 0, 0, 0, 0], 0),
        (tarBytes("        "), 0),
        ([0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00], 256),
        ([0x80, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], UInt64.max),
        (tarBytes("0000 644"), nil),
        (tarBytes("0008\0\0\0\0"), nil),
        (tarBytes("-000001\0"), nil),
        (tarBytes("+000001\0"), nil),
        ([0x80, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0], nil),
        ([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], nil),
        ([0x81, 0, 0, 0, 0, 0, 0, 1], nil),
        (tarBytes("7777777777777777777777"), nil),
    ] as [([UInt8], UInt64?)])
    func unsignedField(field: [UInt8], expected: UInt64?) {
        #expect(field.withUnsafeBytes { TarNumericField.parseUnsigned($0) } == expected)
    }

    @Test("signed fields: octal, 0x80 positive or 0xFF two's complement base-256", arguments: [
        (tarBytes("14524770400\0"), 1_700_000_000),
        ([UInt8](repeating: 0xFF, count: 12), -1),
        ([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFC, 0x18], -1000),
        ([0xFF, 0xFF, 0xFF, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0], Int64.min),
        ([0x80, 0, 0, 0, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], Int64.max),
        ([0x80, 0, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0], nil),
        ([0xFF, 0xFF, 0xFF, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], nil),
        ([0xFF], nil),
    ] as [([UInt8], Int64?)])
    func signedField(field: [UInt8], expected: Int64?) {
        #expect(field.withUnsafeBytes { TarNumericField.parseSigned($0) } == expected)
    }

    @Test("octal writing pads with zeros and ends with NUL", arguments: [
        (0, 8, tarBytes("0000000\0")),
        (0o644, 8, tarBytes("0000644\0")),
        (2_097_151, 8, tarBytes("7777777\0")),
        ((8 << 30) - 1, 12, tarBytes("77777777777\0")),
    ] as [(UInt64, Int, [UInt8])])
    func octalWriting(value: UInt64, width: Int, expected: [UInt8]) {
        var field = [UInt8](repeating: 0xAA, count: width)
        field.withUnsafeMutableBufferPointer { TarNumericField.writeOctal(value, width: width, into: $0.baseAddress!) }
        #expect(field == expected)
        #expect(field.withUnsafeBytes { TarNumericField.parseUnsigned($0) } == value)
        #expect(value <= TarNumericField.maximumOctal(width: width))
    }

    @Test("decimal helpers agree with String", arguments: [0, 9, 10, 99, 100, 12345, UInt64.max])
    func decimal(value: UInt64) {
        var out: [UInt8] = []
        TarNumericField.appendDecimal(value, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == String(value))
        #expect(TarNumericField.decimalDigitCount(value) == String(value).count)
        var signed: [UInt8] = []
        TarNumericField.appendDecimal(Int64.min, to: &signed)
        #expect(String(decoding: signed, as: UTF8.self) == String(Int64.min))
        #expect(TarNumericField.decimalLength(Int64.min) == String(Int64.min).count)
    }
}
