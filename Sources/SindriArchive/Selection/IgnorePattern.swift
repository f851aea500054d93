/// One gitignore line, parsed and compiled for matching paths as bytes.
///
/// The semantics are git's (`man gitignore`, checked against `git check-ignore` 2.39):
/// - a leading `!` negates the pattern (see ``IgnoreRules`` for what negation does in a list);
/// - a trailing `/` restricts the pattern to directories;
/// - a pattern without any other `/` matches a name at any depth (`*.log` matches `a/b/x.log`);
///   a leading or inner `/` anchors it at the root (`/build`, `doc/*.txt`);
/// - `*`, `?` and `[...]` (with `!`/`^` negation, ranges and `[:class:]`) never match `/`;
///   `**` matches across directories when it stands alone: `**/x`, `x/**`, `a/**/b`;
/// - `\` escapes the next character; unescaped trailing spaces are dropped; `#` starts a comment,
///   `\#` and `\!` stand for a literal `#` or `!`.
///
/// Matching is byte-wise and case-sensitive, so names that are not valid UTF-8 work, and `?` matches one
/// byte of a multi-byte character, as in git. The pattern is compiled once: plain names compare bytes
/// directly, `*.ext` compares a suffix, and everything else runs a ``GlobProgram``; none of them allocates.
public struct IgnorePattern: Sendable, Hashable, CustomStringConvertible {
    /// The line this pattern was parsed from, exactly as given.
    public let source: String
    /// True for a `!pattern` line: a match re-includes instead of excluding.
    public let isNegated: Bool
    /// True for a pattern with a trailing `/`: it matches directories only.
    public let isDirectoryOnly: Bool
    /// True for a pattern without a slash (other than a trailing one), which is matched against the last
    /// component of a path at any depth; false for a pattern anchored at the root.
    public let matchesNameAtAnyDepth: Bool

    private let strategy: Strategy

    /// How the pattern is matched, from the cheapest case to the general one.
    private enum Strategy: Sendable {
        /// No wildcard at all: the (name or whole) path must equal these bytes.
        case exact([UInt8])
        /// `*literal` matched against a name: the name must end with these bytes.
        case suffix([UInt8])
        /// Literal `prefix` (git's `nowildcardlen` part), then the compiled rest.
        case wildcard(prefix: [UInt8], program: GlobProgram)
    }

    /// Parses one gitignore line.
    ///
    /// - Throws: ``PatternError`` with kind `.blankOrComment` for a blank or `#` line (use
    ///   ``parse(_:)`` to skip those quietly), or the kind that makes the pattern unusable.
    public init(_ line: String) throws(PatternError) {
        guard let pattern = try Self.parse(line) else {
            throw PatternError(kind: .blankOrComment, line: line)
        }
        self = pattern
    }

    /// Parses one gitignore line; nil for a blank line or a `#` comment.
    ///
    /// - Throws: ``PatternError`` for a pattern that could never match (`!` alone, a lone trailing `\`, an
    ///   unclosed `[`, an unknown `[:class:]`); git would keep such a line silently and never match it.
    public static func parse(_ line: String) throws(PatternError) -> IgnorePattern? {
        var bytes = Array(line.utf8)
        if bytes.first == PatternByte.hash { return nil }
        bytes.removeLast(bytes.count - trimmedLength(of: bytes))
        if bytes.isEmpty { return nil }
        do {
            return try IgnorePattern(source: line, body: bytes[...])
        } catch {
            throw PatternError(kind: error, line: line)
        }
    }

    private init(source: String, body line: ArraySlice<UInt8>) throws(PatternError.Kind) {
        var body = line
        self.source = source
        isNegated = body.first == PatternByte.exclamation
        if isNegated { body = body.dropFirst() }
        isDirectoryOnly = body.last == PatternByte.slash
        if isDirectoryOnly { body = body.dropLast() }
        matchesNameAtAnyDepth = !body.contains(PatternByte.slash)
        if !matchesNameAtAnyDepth, body.first == PatternByte.slash { body = body.dropFirst() }
        guard !body.isEmpty else { throw .emptyPattern }

        let prefixEnd = body.firstIndex(where: PatternByte.isWildcard) ?? body.endIndex
        if prefixEnd == body.endIndex {
            strategy = .exact(Array(body))
        } else if matchesNameAtAnyDepth, body.first == PatternByte.star,
            !body.dropFirst().contains(where: PatternByte.isWildcard)
        {
            strategy = .suffix(Array(body.dropFirst()))
        } else {
            // Like git's match_pathname(), the wildcard part is matched on its own after the literal prefix;
            // a "**" right after that prefix therefore counts as leading (git matches "a**/b" with "ax/y/b").
            let program = try GlobProgram(compiling: body[prefixEnd...])
            strategy = .wildcard(prefix: Array(body[..<prefixEnd]), program: program)
        }
    }

    /// The length of `bytes` without git's trailing spaces: spaces at the end that are not escaped by `\`.
    private static func trimmedLength(of bytes: [UInt8]) -> Int {
        var firstTrailingSpace: Int? = nil
        var index = 0
        while index < bytes.count {
            switch bytes[index] {
            case PatternByte.space:
                if firstTrailingSpace == nil { firstTrailingSpace = index }
            case PatternByte.backslash:
                index += 1
                if index == bytes.count { return bytes.count }
                firstTrailingSpace = nil
            default:
                firstTrailingSpace = nil
            }
            index += 1
        }
        return firstTrailingSpace ?? bytes.count
    }

    /// True when this pattern alone matches `path` (relative, `/`-separated, no leading `/` or `./`, no
    /// trailing slash), ignoring negation: a `!` pattern that matches returns true here too.
    public func matches(_ path: [UInt8], isDirectory: Bool) -> Bool {
        path.withUnsafeBufferPointer { buffer in
            matches(buffer, nameStart: SelectionPath.nameStart(of: buffer), isDirectory: isDirectory)
        }
    }

    /// Matching with the start of the last path component already known, so that a list of patterns
    /// looks for it once per path.
    func matches(_ path: UnsafeBufferPointer<UInt8>, nameStart: Int, isDirectory: Bool) -> Bool {
        if isDirectoryOnly && !isDirectory { return false }
        let start = matchesNameAtAnyDepth ? nameStart : 0
        let length = path.count - start
        switch strategy {
        case .exact(let literal):
            return length == literal.count && SelectionPath.bytes(path, at: start, equal: literal)
        case .suffix(let suffix):
            return length >= suffix.count
                && SelectionPath.bytes(path, at: path.count - suffix.count, equal: suffix)
        case .wildcard(let prefix, let program):
            return length >= prefix.count
                && SelectionPath.bytes(path, at: start, equal: prefix)
                && program.matches(path, from: start + prefix.count)
        }
    }

    public var description: String { source }

    /// Patterns are equal when their source lines are: the compiled form follows from the text.
    public static func == (lhs: IgnorePattern, rhs: IgnorePattern) -> Bool {
        lhs.source == rhs.source
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(source)
    }
}
