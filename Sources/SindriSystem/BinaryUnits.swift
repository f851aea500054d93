/// Byte counts in binary units (`512 B`, `1.0 KiB`, `12.3 MiB`, `4.0 GiB`). It lives in the system
/// layer because error messages (free space, sizes) need it too, and they sit below the reporting
/// module whose progress line uses the same rendering.
package enum BinaryUnits {
    package static func text(_ count: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : "\(oneDecimal(value)) \(units[unit])"
    }

    /// `12.3`: one decimal, rounded half away from zero, without Foundation's locale handling.
    package static func oneDecimal(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}
