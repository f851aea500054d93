/// Merges a shell configuration from a backup into the current one, the "smart merge":
/// the current file stays as it is, and the backup's lines it lacks are appended in one clearly
/// marked block. Lines already present anywhere in the file (inside an earlier block too) are
/// not added again, so restoring the same backup twice adds nothing.
public enum ShellConfigMerger {
    /// Shell configuration files (at the top of the home) that are merged rather than replaced.
    public static let mergedNames: Set<[UInt8]> = Set([".bashrc", ".profile", ".bash_profile", ".zshrc"].map { Array($0.utf8) })

    public static let blockStart = "# >>> restored by sindri from a backup: lines missing here >>>"
    public static let blockEnd = "# <<< restored by sindri <<<"

    /// The merged content, or nil when the current file already has every line of the backup.
    public static func merge(current: [UInt8], backup: [UInt8], label: String) -> [UInt8]? {
        let present = Set(lines(current).map(normalized))
        var missing: [[UInt8]] = []
        var seen = Set<[UInt8]>()
        for line in lines(backup) {
            let key = normalized(line)
            if key.isEmpty || present.contains(key) || !seen.insert(key).inserted { continue }
            missing.append(line)
        }
        guard !missing.isEmpty else { return nil }
        var merged = current
        if let last = merged.last, last != 0x0A { merged.append(0x0A) }
        merged.append(0x0A)
        merged.append(contentsOf: Array(blockStart.utf8))
        merged.append(0x0A)
        merged.append(contentsOf: Array("# from: \(label)".utf8))
        merged.append(0x0A)
        for line in missing {
            merged.append(contentsOf: line)
            merged.append(0x0A)
        }
        merged.append(contentsOf: Array(blockEnd.utf8))
        merged.append(0x0A)
        return merged
    }

    private static func lines(_ bytes: [UInt8]) -> [[UInt8]] {
        bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map { line in
            var copy = Array(line)
            if copy.last == 0x0D { copy.removeLast() }
            return copy
        }
    }

    /// Trailing whitespace does not make a line different.
    private static func normalized(_ line: [UInt8]) -> [UInt8] {
        var end = line.count
        while end > 0 && (line[end - 1] == 0x20 || line[end - 1] == 0x09) { end -= 1 }
        return Array(line[0..<end])
    }
}
