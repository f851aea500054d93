/// Why a gitignore-style line could not become an ``IgnorePattern``.
///
/// git silently keeps such lines and they then never match anything. A backup tool that did the same would
/// quietly archive files the user meant to leave out, so we refuse the line instead and say where it is.
public struct PatternError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong with the line.
    public enum Kind: Error, Sendable, Hashable {
        /// The line is blank or a `#` comment: it holds no pattern at all.
        case blankOrComment
        /// Nothing is left once `!`, the anchoring `/` and the directory-only `/` are removed (`!`, `/`, `!/`).
        case emptyPattern
        /// The pattern ends with a lone `\`, which escapes nothing.
        case trailingBackslash
        /// A `[` opens a character class that is never closed by `]`.
        case unterminatedCharacterClass
        /// A `[:name:]` inside a class names no POSIX class (`alnum`, `alpha`, `blank`, `cntrl`, `digit`,
        /// `graph`, `lower`, `print`, `punct`, `space`, `upper`, `xdigit`).
        case unknownCharacterClass(name: String)
    }

    /// What is wrong with the line.
    public let kind: Kind
    /// The offending line, as given.
    public let line: String
    /// The 1-based line number when the pattern came from a file, otherwise nil.
    public let lineNumber: Int?

    /// Creates an error for `line`, optionally located at `lineNumber` of an exclude file.
    public init(kind: Kind, line: String, lineNumber: Int? = nil) {
        self.kind = kind
        self.line = line
        self.lineNumber = lineNumber
    }

    /// The same error, located at `lineNumber` of an exclude file.
    public func located(atLine lineNumber: Int) -> PatternError {
        PatternError(kind: kind, line: line, lineNumber: lineNumber)
    }

    public var description: String {
        let location = lineNumber.map { "line \($0): " } ?? ""
        let problem: String
        switch kind {
        case .blankOrComment: problem = "blank line or comment, not a pattern"
        case .emptyPattern: problem = "empty pattern"
        case .trailingBackslash: problem = "pattern ends with a lone backslash"
        case .unterminatedCharacterClass: problem = "character class '[' is never closed by ']'"
        case .unknownCharacterClass(let name): problem = "unknown character class [:\(name):]"
        }
        return "\(location)\(problem) in pattern '\(line)'"
    }
}
