/// An ordered list of gitignore patterns, as one `.gitignore` or exclude file holds them.
///
/// As in git, the last pattern that matches a path decides: an ordinary pattern excludes it, a `!pattern`
/// includes it again, and a path no pattern matches gets no decision (nil).
///
/// git also says that a file cannot be re-included when one of its parent directories is excluded. Nothing
/// here needs to enforce that for a backup: the walker asks about a directory before its children and never
/// descends into an excluded one, so a `!pattern` below it is simply never consulted.
/// ``decision(for:isDirectory:)`` therefore looks at the path alone; ``effectiveDecision(for:isDirectory:)``
/// adds the parent rule for callers that ask about a deep path directly, and then agrees with
/// `git check-ignore` for any path.
public struct IgnoreRules: Sendable, Hashable {
    /// The patterns in file order; later ones take precedence.
    public private(set) var patterns: [IgnorePattern]

    /// Creates a list from patterns already parsed, in precedence order (last wins).
    public init(patterns: [IgnorePattern] = []) {
        self.patterns = patterns
    }

    /// Parses one pattern per line, skipping blank lines and `#` comments (as `--exclude` options give them).
    ///
    /// - Throws: ``PatternError`` for the first unusable line, with its 1-based position as `lineNumber`.
    public init(lines: [String]) throws(PatternError) {
        var patterns: [IgnorePattern] = []
        for (offset, line) in lines.enumerated() {
            do {
                if let pattern = try IgnorePattern.parse(line) { patterns.append(pattern) }
            } catch {
                throw error.located(atLine: offset + 1)
            }
        }
        self.patterns = patterns
    }

    /// Parses the text of an exclude file in `.gitignore` syntax: one pattern per line, `#` comments,
    /// blank lines, `!` re-includes; `\n` or `\r\n` line ends and a leading byte-order mark are accepted.
    ///
    /// - Throws: ``PatternError`` for the first unusable line, with its 1-based line number.
    public static func parse(fileContents: String) throws(PatternError) -> IgnoreRules {
        var bytes = Array(fileContents.utf8)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        var lines: [String] = []
        for var line in bytes.split(separator: PatternByte.lineFeed, omittingEmptySubsequences: false) {
            if line.last == PatternByte.carriageReturn { line = line.dropLast() }
            lines.append(String(decoding: line, as: UTF8.self))
        }
        return try IgnoreRules(lines: lines)
    }

    /// Adds `pattern` after the existing ones, so that it takes precedence over them.
    public mutating func append(_ pattern: IgnorePattern) {
        patterns.append(pattern)
    }

    /// Adds every pattern of `rules` after the existing ones.
    public mutating func append(contentsOf rules: IgnoreRules) {
        patterns.append(contentsOf: rules.patterns)
    }

    /// The decision of the last pattern that matches `path` itself, or nil when none does.
    ///
    /// `path` is relative to the root the patterns are anchored at, `/`-separated, without a leading `/`
    /// or `./` and without a trailing slash; `isDirectory` says whether it names a directory.
    public func decision(for path: [UInt8], isDirectory: Bool) -> IgnoreDecision? {
        path.withUnsafeBufferPointer { decision(for: $0, isDirectory: isDirectory) }
    }

    /// ``decision(for:isDirectory:)`` on a buffer.
    func decision(for path: UnsafeBufferPointer<UInt8>, isDirectory: Bool) -> IgnoreDecision? {
        let nameStart = SelectionPath.nameStart(of: path)
        let deciding: Int? = patterns.withUnsafeBufferPointer { patterns in
            // Matched in place, newest first: the first hit is the last matching pattern.
            var index = patterns.count
            while index > 0 {
                index -= 1
                if patterns[index].matches(path, nameStart: nameStart, isDirectory: isDirectory) { return index }
            }
            return nil
        }
        guard let index = deciding else { return nil }
        let pattern = patterns[index]
        return IgnoreDecision(effect: pattern.isNegated ? .included : .excluded, pattern: pattern, patternIndex: index)
    }

    /// The decision for `path` as git reaches it: if a parent directory is excluded, that exclusion decides
    /// (nothing below an excluded directory can be re-included); otherwise the path's own decision.
    public func effectiveDecision(for path: [UInt8], isDirectory: Bool) -> IgnoreDecision? {
        path.withUnsafeBufferPointer { buffer in
            for length in SelectionPath.ancestorLengths(of: buffer) {
                let ancestor = UnsafeBufferPointer(rebasing: buffer[..<length])
                if let decision = decision(for: ancestor, isDirectory: true), decision.isExcluded {
                    return decision
                }
            }
            return decision(for: buffer, isDirectory: isDirectory)
        }
    }

    /// True when the last matching pattern excludes `path` itself.
    public func isExcluded(_ path: [UInt8], isDirectory: Bool) -> Bool {
        decision(for: path, isDirectory: isDirectory)?.isExcluded ?? false
    }
}
