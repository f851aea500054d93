/// The kinds of projects a synthetic workspace holds; the kind decides the layout and the excluded folders.
enum ProjectKind: Sendable, CaseIterable {
    case rust, typeScript, python, swift, go, docs

    /// The main language of the project's sources.
    var language: TextLanguage {
        switch self {
        case .rust: .rust
        case .typeScript: .typeScript
        case .python: .python
        case .swift: .swift
        case .go: .go
        case .docs: .markdown
        }
    }

    /// Whether the project carries always-excluded build or dependency folders.
    var hasExcludedFolders: Bool {
        switch self {
        case .rust, .typeScript, .python, .docs: true
        case .swift, .go: false
        }
    }

    var nameSuffixes: [String] {
        switch self {
        case .rust: ["engine", "cli", "core", "daemon"]
        case .typeScript: ["web", "dashboard", "app", "ui"]
        case .python: ["pipeline", "ml", "etl", "bot"]
        case .swift: ["kit", "ios", "server", "tools"]
        case .go: ["api", "proxy", "operator", "gateway"]
        case .docs: ["docs", "handbook", "site", "notes"]
        }
    }
}

/// One project of `workspace/projects/` with its share of each byte budget.
struct ProjectDescription: Sendable {
    var name: String
    var kind: ProjectKind
    var sourceBytes: Int64 = 0
    var configBytes: Int64 = 0
    var packBytes: Int64 = 0
    var imageBytes: Int64 = 0
    var excludedBytes: Int64 = 0

    /// The project's folder relative to the home.
    var root: String { "workspace/projects/\(name)" }
}
