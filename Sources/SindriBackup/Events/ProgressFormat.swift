import SindriArchive

/// The text of the terminal progress line and of human-readable sizes, rates and durations.
///
/// Pure functions of their arguments (no clock, no terminal), so every layout decision, the
/// truncation to the terminal's width in particular, is unit-tested.
public enum ProgressFormat {
    /// A byte count in binary units: `512 B`, `1.0 KiB`, `12.3 MiB`, `4.0 GiB`.
    public static func bytes(_ count: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : "\(oneDecimal(value)) \(units[unit])"
    }

    /// A rate in binary units per second; `-- B/s` when unknown.
    public static func rate(_ bytesPerSecond: Double?) -> String {
        guard let bytesPerSecond, bytesPerSecond.isFinite, bytesPerSecond >= 0 else { return "-- B/s" }
        return bytes(UInt64(bytesPerSecond.rounded())) + "/s"
    }

    /// Elapsed or remaining time: `0:07`, `12:34`, `1:02:03`; `--:--` when unknown.
    public static func duration(_ seconds: Double?) -> String {
        guard let seconds, seconds.isFinite, seconds >= 0 else { return "--:--" }
        let total = Int(seconds.rounded(.down))
        let hours = total / 3600
        let minutes = (total / 60) % 60
        let secs = total % 60
        let twoDigits = { (value: Int) in value < 10 ? "0\(value)" : "\(value)" }
        return hours > 0 ? "\(hours):\(twoDigits(minutes)):\(twoDigits(secs))" : "\(minutes):\(twoDigits(secs))"
    }

    /// A percentage with one decimal: `45.2%`.
    public static func percent(_ value: Double) -> String {
        "\(oneDecimal(max(0, min(100, value))))%"
    }

    /// The terminal columns `text` occupies: East Asian wide characters and emoji count two,
    /// combining marks and zero-width characters none, everything else one.
    public static func displayWidth(_ text: String) -> Int {
        text.unicodeScalars.reduce(0) { $0 + columns(of: $1) }
    }

    /// `text` cut to at most `width` columns by dropping its start, marked with `…`: the end of a
    /// path (the file's name) is what tells the user where the command is.
    public static func truncateLeft(_ text: String, toWidth width: Int) -> String {
        guard width > 0 else { return "" }
        if displayWidth(text) <= width { return text }
        var kept: [Unicode.Scalar] = []
        var used = 1  // the ellipsis
        for scalar in text.unicodeScalars.reversed() {
            let w = columns(of: scalar)
            if used + w > width { break }
            kept.append(scalar)
            used += w
        }
        var result = "…"
        result.unicodeScalars.append(contentsOf: kept.reversed())
        return result
    }

    /// `text` cut to at most `width` columns by dropping its end.
    public static func truncateRight(_ text: String, toWidth width: Int) -> String {
        guard width > 0 else { return "" }
        if displayWidth(text) <= width { return text }
        var result = ""
        var used = 0
        for scalar in text.unicodeScalars {
            let w = columns(of: scalar)
            if used + w > width { break }
            result.unicodeScalars.append(scalar)
            used += w
        }
        return result
    }

    /// The progress line for `snapshot`, at most `width - 1` columns (writing the last column makes
    /// some terminals wrap, and the next `\r` would then redraw on a new line).
    ///
    /// `[0:12] 45.2% 1234/5678 files 1.2 GiB/2.6 GiB in 98.1 MiB/s out 31.0 MiB/s ETA 0:14 0 errors  path`
    public static func line(_ snapshot: ProgressSnapshot, width: Int) -> String {
        let available = max(1, width - 1)
        let elapsed = "[\(duration(snapshot.elapsed))]"
        let percentText = percent(snapshot.percentDone)
        let files = "\(snapshot.filesDone)/\(snapshot.filesTotal) files"
        let byteCounts = "\(bytes(snapshot.bytesDone))/\(bytes(snapshot.bytesTotal))"
        let input = "in \(rate(snapshot.inputRate))"
        let output = snapshot.bytesOut == nil ? nil : "out \(rate(snapshot.outputRate))"
        let eta = "ETA \(duration(snapshot.secondsRemaining))"
        let errors = snapshot.errors == 1 ? "1 error" : "\(snapshot.errors) errors"
        // From the most detailed to the least: rates go first on a narrow terminal, then the ETA;
        // the error count stays as long as anything does.
        let layouts: [[String?]] = [
            [elapsed, percentText, files, byteCounts, input, output, eta, errors],
            [elapsed, percentText, files, byteCounts, input, eta, errors],
            [elapsed, percentText, files, byteCounts, eta, errors],
            [elapsed, percentText, files, byteCounts, errors],
            [elapsed, percentText, files, errors],
        ]
        var fixed = ""
        for layout in layouts {
            fixed = layout.compactMap { $0 }.joined(separator: " ")
            if displayWidth(fixed) <= available { break }
        }
        let fixedWidth = displayWidth(fixed)
        if fixedWidth >= available { return truncateRight(fixed, toWidth: available) }
        // The path only when a useful part of it fits.
        let room = available - fixedWidth - 2
        guard !snapshot.currentPath.isEmpty, room >= 8 else { return fixed }
        return fixed + "  " + truncateLeft(PathBytes.display(snapshot.currentPath), toWidth: room)
    }

    private static func oneDecimal(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }

    private static func columns(of scalar: Unicode.Scalar) -> Int {
        let value = scalar.value
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        if value == 0x200B { return 0 }
        let wide: [ClosedRange<UInt32>] = [
            0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
            0xA000...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60,
            0xFFE0...0xFFE6, 0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x2FFFD, 0x30000...0x3FFFD,
        ]
        return wide.contains { $0.contains(value) } ? 2 : 1
    }
}
