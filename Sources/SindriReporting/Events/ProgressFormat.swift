import SindriArchive
import SindriBackup
import SindriSystem

/// The text of the terminal progress line and of human-readable sizes, rates and durations.
///
/// Pure functions of their arguments (no clock, no terminal), so every layout decision, the
/// truncation to the terminal's width in particular, is unit-tested.
public enum ProgressFormat {
    /// A byte count in binary units: `512 B`, `1.0 KiB`, `12.3 MiB`, `4.0 GiB`.
    public static func bytes(_ count: UInt64) -> String {
        BinaryUnits.text(count)
    }

    /// A rate in binary units per second; `-- B/s` when unknown.
    public static func rate(_ bytesPerSecond: Double?) -> String {
        guard let bytesPerSecond, bytesPerSecond.isFinite, bytesPerSecond >= 0 else { return "-- B/s" }
        return bytes(UInt64(bytesPerSecond.rounded())) + "/s"
    }

    /// Elapsed or remaining time: `0:07`, `12:34`, `1:02:03`; `--:--` when unknown. Elapsed time
    /// rounds down; a time left rounds up (`roundingUp`), so an ETA never reads `0:00` while
    /// work remains.
    public static func duration(_ seconds: Double?, roundingUp: Bool = false) -> String {
        guard let seconds, seconds.isFinite, seconds >= 0, seconds < 1e9 else { return "--:--" }
        let total = Int(seconds.rounded(roundingUp ? .up : .down))
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

    /// A path cut to at most `width` columns by dropping its middle, marked with `…`: the start
    /// says where in the home, the end (the file's name, kept whole when it fits in two thirds of
    /// the width) says which file: `workspace/proj…/src/main.rs`.
    public static func elideMiddle(_ text: String, toWidth width: Int) -> String {
        guard width > 0 else { return "" }
        if displayWidth(text) <= width { return text }
        guard let slash = text.lastIndex(of: "/"), text.index(after: slash) < text.endIndex else {
            return truncateLeft(text, toWidth: width)
        }
        let name = String(text[slash...])
        let nameWidth = displayWidth(name)
        guard width >= 8, nameWidth <= width * 2 / 3 else { return truncateLeft(text, toWidth: width) }
        let head = truncateRight(text, toWidth: width - 1 - nameWidth)
        return head + "…" + name
    }

    /// `count` and a noun, singular for one: `1 file`, `2 files`, `1 path`.
    public static func count(_ count: Int, _ noun: String, plural: String? = nil) -> String {
        "\(count) \(count == 1 ? noun : plural ?? noun + "s")"
    }

    /// Content size against archive size for a summary: `1.2 GiB -> 412.0 MiB, 33.5%`. A tiny
    /// home's archive is larger than its content (tar headers, the manifest and the checksum list
    /// outweigh it), where a percentage like 96700% says nothing, so the text says why instead;
    /// larger content that does not shrink is said to be already compressed.
    public static func sizeChange(content: UInt64, archive: UInt64) -> String {
        let sizes = "\(bytes(content)) -> \(bytes(archive))"
        if content == 0 { return sizes + " (no file content: only headers and metadata)" }
        if archive >= content && content < 1 << 20 {
            return sizes + " (headers and metadata outweigh so little content)"
        }
        let share = sizes + ", " + percent(Double(archive) / Double(content) * 100)
        return archive >= content ? share + " (the content does not compress: already compressed data?)" : share
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
    /// `[0:12] reading     45.2%   1.2 GiB/  2.6 GiB 1234/5678 files in  98.1 MiB/s out  31.0 MiB/s ETA  0:14 0 errors  work…/main.rs`
    ///
    /// Every field has a fixed width (numbers are padded), and which fields are shown depends on
    /// the width alone, so nothing jumps between redraws. As the terminal narrows, fields go in a
    /// fixed order: the output rate, the input rate, the byte counts, the elapsed time, the file
    /// count, the ETA; the phase, the percentage and the error count stay. The path takes what is
    /// left (at least `pathRoom` columns, or a quarter of the width, when a field had to go for
    /// it), elided in the middle.
    public static func line(_ snapshot: ProgressSnapshot, width: Int) -> String {
        let available = max(1, width - 1)
        let elapsed = pad("[\(duration(snapshot.elapsed))]", 7, left: false)
        let phase = snapshot.phase.isEmpty ? nil : pad(snapshot.phase, phaseWidth, left: false)
        let path = snapshot.currentPath.isEmpty ? "" : PathBytes.display(snapshot.currentPath)
        guard snapshot.counts else {
            // A phase without counters (a restore's planning, snapshot, apply, commit).
            let fixed = [elapsed, snapshot.phase].joined(separator: " ")
            return truncateRight(fixed, toWidth: available)
        }
        let percentText = pad(percent(snapshot.percentDone), 6)
        let totalDigits = String(snapshot.filesTotal).count
        let files = pad(String(snapshot.filesDone), totalDigits) + "/\(snapshot.filesTotal) files"
        let byteCounts = pad(bytes(snapshot.bytesDone), 10) + "/" + pad(bytes(snapshot.bytesTotal), 10)
        let input = "in " + pad(rate(snapshot.inputRate), 12)
        let output = snapshot.bytesOut == nil ? nil : "out " + pad(rate(snapshot.outputRate), 12)
        let eta = "ETA " + pad(duration(snapshot.secondsRemaining, roundingUp: true), 5)
        let errors = snapshot.errors == 1 ? "1 error" : "\(snapshot.errors) errors"
        // Fields in display order, each with the rank at which it is dropped (nil: never).
        let fields: [(text: String?, drop: Int?)] = [
            (elapsed, 3), (phase, nil), (percentText, nil), (byteCounts, 2), (files, 4),
            (input, 1), (output, 0), (eta, 5), (errors, nil),
        ]
        func layout(droppingBelow rank: Int) -> String {
            fields.filter { field in field.text != nil && (field.drop.map { $0 >= rank } ?? true) }
                .map { $0.text! }.joined(separator: " ")
        }
        var chosen: String?
        // First the widest layout that leaves the path its room, then (on a narrow terminal) the
        // widest that fits at all.
        for reserve in [min(pathRoom, available / 4) + 2, 0] where chosen == nil {
            for rank in 0...6 {
                let candidate = layout(droppingBelow: rank)
                if displayWidth(candidate) + reserve <= available {
                    chosen = candidate
                    break
                }
            }
        }
        let fixed = chosen ?? truncateRight(layout(droppingBelow: 6), toWidth: available)
        let room = available - displayWidth(fixed) - 2
        guard !path.isEmpty, room >= 8 else { return fixed }
        return fixed + "  " + elideMiddle(path, toWidth: room)
    }

    /// Columns the path is given before optional fields are kept (a quarter of a narrow terminal).
    static let pathRoom = 30
    /// The width of the longest phase name (`committing`).
    static let phaseWidth = 10

    /// `text` padded with spaces to `width` columns (on the left for numbers, so they line up).
    static func pad(_ text: String, _ width: Int, left: Bool = true) -> String {
        let missing = width - displayWidth(text)
        guard missing > 0 else { return text }
        let spaces = String(repeating: " ", count: missing)
        return left ? spaces + text : text + spaces
    }

    private static func oneDecimal(_ value: Double) -> String {
        BinaryUnits.oneDecimal(value)
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
