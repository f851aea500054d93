/// The languages and text formats the generator can write.
enum TextLanguage: Sendable, Hashable, CaseIterable {
    case swift, rust, typeScript, javaScript, python, go, shell, markdown, yaml, toml, cargoLock, dotenv, log, claudeHistory

    /// The usual file extension (without the dot).
    var fileExtension: String {
        switch self {
        case .swift: "swift"
        case .rust: "rs"
        case .typeScript: "ts"
        case .javaScript: "js"
        case .python: "py"
        case .go: "go"
        case .shell: "sh"
        case .markdown: "md"
        case .yaml: "yaml"
        case .toml: "toml"
        case .cargoLock: "lock"
        case .dotenv: "env"
        case .log: "log"
        case .claudeHistory: "jsonl"
        }
    }
}

/// How identifiers are spelled in a language.
enum IdentifierStyle: Sendable {
    case camelCase, snakeCase, kebabCase
}

/// The grammar of one language: which lines exist, how blocks nest and how identifiers look.
///
/// A file is a header (imports) followed by blocks; a block is optional doc comments, an opener, body statements
/// (some of them nested blocks) and a closer. That shape, plus a small per-file identifier set, is what makes the
/// output compress like real code.
struct TextProfile: Sendable {
    var indentUnit: [UInt8]
    var identifierStyle: IdentifierStyle
    /// Lines every file starts with, in order (shebang, package clause).
    var preamble: [LineTemplate] = []
    /// Import-like lines, drawn `headerLines` times after the preamble.
    var header: [LineTemplate] = []
    var headerLines: ClosedRange<Int> = 0...0
    var documentation: LineTemplate? = nil
    var documentationChance = 0
    var openers: [BlockOpener]
    var statements: [LineTemplate]
    var nestedOpeners: [BlockOpener] = []
    var nestChance = 0
    var bodyLines: ClosedRange<Int>
    var blankLineAfterBlock = true
    var builtinTypes: [String] = []
    var modules: [String] = []
    /// Size of the per-file identifier set; smaller sets repeat more and compress better.
    var localIdentifiers: ClosedRange<Int> = 24...72
    /// Pad with spaces instead of cutting a block in half at the end of the file (for line-oriented JSON).
    var endsOnWholeBlock = false
}
