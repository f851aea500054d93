/// Parses and prints byte counts such as `64M`, `1G`, `512k` (binary multiples), for command lines.
public enum ByteCountText {
    /// Parses a decimal count with an optional `k`/`K`, `M`, `G` or `T` suffix (powers of 1024) and an optional
    /// trailing `B`/`iB`. Returns nil for anything else, including negative numbers and overflow.
    public static func parse(_ text: String) -> Int64? {
        var body = Substring(text.trimmingWhitespace())
        if body.hasSuffix("iB") || body.hasSuffix("ib") {
            body = body.dropLast(2)
        } else if body.count > 1, body.hasSuffix("B") || body.hasSuffix("b") {
            body = body.dropLast(1)
        }
        var shift: Int64 = 0
        if let last = body.last, !last.isNumber {
            switch last {
            case "k", "K": shift = 10
            case "m", "M": shift = 20
            case "g", "G": shift = 30
            case "t", "T": shift = 40
            default: return nil
            }
            body = body.dropLast()
        }
        guard !body.isEmpty, body.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int64(body) else { return nil }
        let (result, overflow) = value.multipliedReportingOverflow(by: Int64(1) << shift)
        return overflow ? nil : result
    }

    /// Formats a byte count with a binary unit and one decimal, e.g. `1.0 GiB`.
    public static func format(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var unitIndex = 0
        var scaled = Double(bytes)
        while scaled >= 1024, unitIndex < units.count - 1 {
            scaled /= 1024
            unitIndex += 1
        }
        if unitIndex == 0 { return "\(bytes) B" }
        let tenths = Int((scaled * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) \(units[unitIndex])"
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
