/// Writing and parsing pax records, `"<length> <keyword>=<value>\n"`, where `<length>` is the
/// decimal byte count of the whole record including its own digits.
enum TarPaxRecords {
    /// Keywords that change a member's identity or layout; the reader honours them in `'x'`
    /// headers and refuses them in `'g'` headers.
    static let memberKeywords: Set<[UInt8]> = [
        Array("path".utf8), Array("linkpath".utf8), Array("size".utf8),
        Array("uid".utf8), Array("gid".utf8), Array("mtime".utf8),
    ]

    // MARK: Writing

    /// The byte length of a record with a keyword and value of the given lengths.
    static func recordLength(keywordLength: Int, valueLength: Int) -> Int {
        let base = keywordLength + valueLength + 3  // " ", "=", "\n"
        var digits = TarNumericField.decimalDigitCount(UInt64(base))
        if TarNumericField.decimalDigitCount(UInt64(base + digits)) > digits { digits += 1 }
        return base + digits
    }

    /// Appends one record.
    static func appendRecord(keyword: String, value: some Collection<UInt8>, to out: inout [UInt8]) {
        let keywordBytes = keyword.utf8
        let length = recordLength(keywordLength: keywordBytes.count, valueLength: value.count)
        TarNumericField.appendDecimal(UInt64(length), to: &out)
        out.append(UInt8(ascii: " "))
        out.append(contentsOf: keywordBytes)
        out.append(UInt8(ascii: "="))
        out.append(contentsOf: value)
        out.append(UInt8(ascii: "\n"))
    }

    /// Appends one record whose value is a signed decimal number.
    static func appendRecord(keyword: String, decimal value: Int64, to out: inout [UInt8]) {
        var digits: [UInt8] = []
        TarNumericField.appendDecimal(value, to: &digits)
        appendRecord(keyword: keyword, value: digits, to: &out)
    }

    /// Appends one record whose value is an unsigned decimal number.
    static func appendRecord(keyword: String, decimal value: UInt64, to out: inout [UInt8]) {
        var digits: [UInt8] = []
        TarNumericField.appendDecimal(value, to: &digits)
        appendRecord(keyword: keyword, value: digits, to: &out)
    }

    // MARK: Parsing

    /// Parses the data of an `'x'` header into overrides.
    ///
    /// - Throws: `.malformedPax` for a record that breaks the syntax, `.badNumericField` for a
    ///   numeric value that is not a decimal number of the right range, `.embeddedNul` for a NUL
    ///   in `path` or `linkpath`, `.unsupportedPaxKeyword` for `GNU.sparse.*`. Every error
    ///   carries `offset`, the position of the pax header block.
    static func parseExtended(_ data: [UInt8], offset: UInt64) throws(TarFormatError) -> TarPaxOverrides {
        var overrides = TarPaxOverrides()
        try forEachRecord(data, offset: offset) { (keyword, value) throws(TarFormatError) in
            try apply(keyword: keyword, value: value, to: &overrides, offset: offset)
        }
        return overrides
    }

    /// Checks the data of a `'g'` header: well-formed, and free of keywords that would change
    /// later members (which this reader refuses rather than silently applying to every member).
    static func validateGlobal(_ data: [UInt8], offset: UInt64) throws(TarFormatError) {
        try forEachRecord(data, offset: offset) { (keyword, _) throws(TarFormatError) in
            let key = Array(keyword)
            if memberKeywords.contains(key) || key.starts(with: Array("GNU.sparse.".utf8)) {
                throw TarFormatError(.unsupportedGlobalHeader(keyword: PathBytes.display(key)), at: offset)
            }
        }
    }

    private static func forEachRecord(
        _ data: [UInt8],
        offset: UInt64,
        _ body: (ArraySlice<UInt8>, ArraySlice<UInt8>) throws(TarFormatError) -> Void
    ) throws(TarFormatError) {
        func malformed(_ reason: String) -> TarFormatError {
            TarFormatError(.malformedPax(reason: reason), at: offset)
        }
        var position = 0
        while position < data.count {
            var cursor = position
            var length = 0
            while cursor < data.count, data[cursor] >= 0x30, data[cursor] <= 0x39 {
                guard length <= (Int.max - 9) / 10 else { throw malformed("record length overflows") }
                length = length * 10 + Int(data[cursor] - 0x30)
                cursor += 1
            }
            guard cursor > position else { throw malformed("record does not start with a decimal length") }
            guard cursor < data.count, data[cursor] == UInt8(ascii: " ") else {
                throw malformed("record length is not followed by a space")
            }
            let bodyStart = cursor + 1
            guard length <= data.count - position else {
                throw malformed("record length \(length) runs past the end of the header data")
            }
            let end = position + length
            guard end > bodyStart, data[end - 1] == UInt8(ascii: "\n") else {
                throw malformed("record length \(length) does not end at a newline")
            }
            let record = data[bodyStart..<(end - 1)]
            guard let equals = record.firstIndex(of: UInt8(ascii: "=")) else {
                throw malformed("record has no '='")
            }
            let keyword = record[record.startIndex..<equals]
            guard !keyword.isEmpty else { throw malformed("record has an empty keyword") }
            guard !keyword.contains(0) else { throw malformed("keyword contains a NUL byte") }
            try body(keyword, record[(equals + 1)...])
            position = end
        }
    }

    private static func apply(
        keyword: ArraySlice<UInt8>,
        value: ArraySlice<UInt8>,
        to overrides: inout TarPaxOverrides,
        offset: UInt64
    ) throws(TarFormatError) {
        switch Array(keyword) {
        case Array("path".utf8):
            overrides.path = try pathValue(value, offset: offset)
        case Array("linkpath".utf8):
            overrides.linkPath = try pathValue(value, offset: offset)
        case Array("size".utf8):
            overrides.size = try unsignedValue(value, limit: UInt64.max, field: .size, offset: offset)
        case Array("uid".utf8):
            overrides.uid = try unsignedValue(value, limit: UInt64(UInt32.max), field: .uid, offset: offset)
                .map { UInt32($0) }
        case Array("gid".utf8):
            overrides.gid = try unsignedValue(value, limit: UInt64(UInt32.max), field: .gid, offset: offset)
                .map { UInt32($0) }
        case Array("mtime".utf8):
            overrides.modificationTime = try timeValue(value, offset: offset)
        default:
            if keyword.starts(with: "GNU.sparse.".utf8) {
                throw TarFormatError(.unsupportedPaxKeyword(PathBytes.display(keyword)), at: offset)
            }
            // atime, ctime, uname, gname, comment, hdrcharset, charset, SCHILY.*, LIBARCHIVE.*,
            // security.* and any other keyword: irrelevant to a restore, ignored.
        }
    }

    private static func pathValue(_ value: ArraySlice<UInt8>, offset: UInt64) throws(TarFormatError) -> [UInt8]? {
        if value.isEmpty { return nil }
        guard !value.contains(0) else { throw TarFormatError(.embeddedNul, at: offset) }
        return Array(value)
    }

    /// A non-empty run of decimal digits no larger than `limit`; an empty value deletes.
    private static func unsignedValue(
        _ value: ArraySlice<UInt8>, limit: UInt64, field: TarHeaderField, offset: UInt64
    ) throws(TarFormatError) -> UInt64? {
        if value.isEmpty { return nil }
        guard let number = parseDigits(value), number <= limit else {
            throw TarFormatError(.badNumericField(field: field), at: offset)
        }
        return number
    }

    /// `[-]digits[.digits]`; the fraction is dropped by rounding toward negative infinity, so
    /// `-1.5` is second -2 (the second the instant falls in), like GNU tar's timespec.
    private static func timeValue(_ value: ArraySlice<UInt8>, offset: UInt64) throws(TarFormatError) -> Int64? {
        if value.isEmpty { return nil }
        let bad = TarFormatError(.badNumericField(field: .mtime), at: offset)
        var digits = value
        let negative = digits.first == UInt8(ascii: "-")
        if negative { digits = digits.dropFirst() }
        var fractionIsNonZero = false
        if let dot = digits.firstIndex(of: UInt8(ascii: ".")) {
            let fraction = digits[(dot + 1)...]
            guard !fraction.isEmpty, fraction.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { throw bad }
            fractionIsNonZero = fraction.contains { $0 != 0x30 }
            digits = digits[..<dot]
        }
        guard let magnitude = parseDigits(digits) else { throw bad }
        if negative {
            let floored = fractionIsNonZero ? magnitude &+ 1 : magnitude
            let limit = UInt64(Int64.max) + 1  // |Int64.min|
            guard floored != 0 || !fractionIsNonZero, floored <= limit else { throw bad }
            return floored == limit ? Int64.min : -Int64(floored)
        }
        guard magnitude <= UInt64(Int64.max) else { throw bad }
        return Int64(magnitude)
    }

    /// A non-empty run of decimal digits as `UInt64`; nil on any other byte or on overflow.
    private static func parseDigits(_ digits: ArraySlice<UInt8>) -> UInt64? {
        guard !digits.isEmpty else { return nil }
        var number: UInt64 = 0
        for byte in digits {
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            let (times10, overflow1) = number.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(byte - 0x30))
            guard !overflow1, !overflow2 else { return nil }
            number = sum
        }
        return number
    }
}
