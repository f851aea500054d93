import Testing
import SindriArchive

/// One row of the parity table: a `.gitignore`, one path created on disk, and whether git ignores it.
struct GitParityCase: Sendable, CustomTestStringConvertible {
    let gitignore: String
    let path: [UInt8]
    let isDirectory: Bool
    /// The table's expectation; git must agree with it, and so must we.
    let ignored: Bool

    var testDescription: String {
        let shownPath = path.map { (0x20 ..< 0x7F).contains($0) ? String(UnicodeScalar($0)) : "\\x\(String($0, radix: 16))" }
            .joined()
        let shownPattern = gitignore.replacingOccurrences(of: "\n", with: "⏎").replacingOccurrences(of: "\r", with: "␍")
        return "'\(shownPattern)' \(isDirectory ? "dir" : "file") \(shownPath) → \(ignored ? "ignored" : "kept")"
    }
}

private func file(_ gitignore: String, _ path: String, _ ignored: Bool) -> GitParityCase {
    GitParityCase(gitignore: gitignore, path: Array(path.utf8), isDirectory: false, ignored: ignored)
}

private func dir(_ gitignore: String, _ path: String, _ ignored: Bool) -> GitParityCase {
    GitParityCase(gitignore: gitignore, path: Array(path.utf8), isDirectory: true, ignored: ignored)
}

private func file(_ gitignore: String, bytes: [UInt8], _ ignored: Bool) -> GitParityCase {
    GitParityCase(gitignore: gitignore, path: bytes, isDirectory: false, ignored: ignored)
}

/// The table: each row is checked against `git check-ignore` and against our rules.
let gitParityCases: [GitParityCase] = [
    // A name without a slash matches at any depth.
    file("*.log", "debug.log", true),
    file("*.log", "logs/debug.log", true),
    file("*.log", "debug.log.txt", false),
    dir("*.log", "old.log", true),
    file(".env*", ".env", true),
    file(".env*", ".env.local", true),
    file(".env*", "config/.env.production", true),
    file(".env*", "env", false),
    file(".env*", "x.env", false),
    file("secret", "a/b/secret", true),
    file("secret", "a/secret/b", true),  // via the excluded parent directory a/secret
    // A leading or inner slash anchors at the root.
    dir("/build", "build", true),
    file("/build", "build", true),
    dir("/build", "src/build", false),
    file("a/b", "x/a/b", false),
    file("a/b", "a/b", true),
    file("/a/b", "a/b", true),
    // A trailing slash matches directories only.
    file("build/", "build", false),
    dir("build/", "build", true),
    dir("build/", "src/build", true),
    dir("/a/b/", "a/b", true),
    file("/a/b/", "a/b", false),
    dir("*.txt/", "notes.txt", true),
    file("*.txt/", "notes.txt", false),
    dir("**/", "anything", true),
    file("**/", "anything", false),
    // Double stars.
    file("a/**/b", "a/b", true),
    file("a/**/b", "a/x/b", true),
    file("a/**/b", "a/x/y/b", true),
    file("a/**/b", "x/a/b", false),
    file("a/**/b", "a/xb", false),
    file("a/**/**/b", "a/b", true),
    file("**/node_modules/**", "node_modules/x", true),
    file("**/node_modules/**", "app/node_modules/lodash/index.js", true),
    dir("**/node_modules/**", "node_modules", false),
    dir("**/node_modules/**", "app/node_modules", false),
    dir("**/node_modules", "app/node_modules", true),
    dir("**/node_modules", "node_modules", true),
    file("**/foo", "foo", true),
    file("**/foo", "a/b/foo", true),
    file("**/foo", "a/xfoo", false),
    file("**/foo/bar", "x/foo/bar", true),
    file("/**/foo", "x/y/foo", true),
    file("foo/**", "foo/a/b", true),
    dir("foo/**", "foo", false),
    dir("foo/**/", "foo/bar", true),
    file("foo/**/", "foo/bar", false),
    file("**", "a/b/c", true),
    file("**foo", "a/xfoo", true),
    file("a/**b", "a/x/b", false),
    file("a/**b", "a/xb", true),
    file("a**/b", "ax/y/b", true),  // git matches the wildcard part after the literal prefix "a" on its own
    file("a*/b", "ax/y/b", false),
    // Negation: the last matching line wins.
    file("*.log\n!keep.log", "keep.log", false),
    file("*.log\n!keep.log", "other.log", true),
    file("*.log\n!keep.log", "logs/keep.log", false),
    file("!keep.log\n*.log", "keep.log", true),
    file("build/\n!build/keep.txt", "build/keep.txt", true),  // a parent directory is excluded
    file("build/*\n!build/keep.txt", "build/keep.txt", false),
    file("!x", "x", false),
    // Single star and question mark stay within one component.
    file("doc/*.txt", "doc/notes.txt", true),
    file("doc/*.txt", "doc/x/y.txt", false),
    file("doc/*.txt", "sub/doc/notes.txt", false),
    file("doc/**/*.txt", "doc/x/y.txt", true),
    file("foo/*", "foo/bar", true),
    dir("foo/*", "foo", false),
    file("*/b", "a/b", true),
    file("*/b", "a/c/b", false),
    file("*", "anything", true),
    file("?.txt", "a.txt", true),
    file("?.txt", "ab.txt", false),
    file("x/a?b", "x/a/b", false),
    // Character classes.
    file("[abc].txt", "b.txt", true),
    file("[abc].txt", "d.txt", false),
    file("[!abc].txt", "d.txt", true),
    file("[^abc].txt", "a.txt", false),
    file("[a-c]x", "bx", true),
    file("[a-c]x", "dx", false),
    file("[]]x", "]x", true),
    file("[a-]x", "-x", true),
    file("[!]]x", "ax", true),
    file("[[:digit:]]*.csv", "2024.csv", true),
    file("[[:digit:]]*.csv", "data.csv", false),
    file("[[:upper:]]*", "README", true),
    file("[[:upper:]]*", "readme", false),
    file("[[:space:]]x", " x", true),
    file("[[:punct:]]x", "_x", true),
    file("[[:alpha]x", "px", true),  // no ":]": "[", ":" and the letters are plain members
    file("[[:alpha]x", "bx", false),
    file("x[/]y", "x/y", false),
    // Escapes, comments and spaces.
    file("\\#notes", "#notes", true),
    file("#notes", "#notes", false),
    file("\\!important", "!important", true),
    file("foo\\*", "foo*", true),
    file("foo\\*", "foobar", false),
    file("a\\\\b", "a\\b", true),
    file("[\\]]x", "]x", true),
    file("trailing  ", "trailing", true),
    file("trailing\\ ", "trailing ", true),
    file("trailing\\ ", "trailing", false),
    file(" leading", " leading", true),
    file("*.LOG", "x.log", false),
    file("one\r\ntwo\r\n", "two", true),
    // Names are bytes: non-ASCII and invalid UTF-8.
    file("café", "café", true),
    file("caf?", "café", false),  // "é" is two bytes, "?" matches one
    file("caf??", "café", true),
    file("*.log", bytes: [0xFF, 0xFE] + Array(".log".utf8), true),
    file("?.bin", bytes: [0xFF] + Array(".bin".utf8), true),
    file("?.bin", bytes: [0xC3] + Array(".bin".utf8), true),
    file("*", bytes: [0x80, 0x81], true),
    file("data/*", bytes: Array("data/".utf8) + [0xE9, 0x74, 0xE9], true),
]

@Suite("gitignore patterns agree with git check-ignore", .enabled(if: GitIgnoreOracle.isAvailable))
struct PatternGitParityTests {
    @Test("the table has enough rows") func tableSize() {
        #expect(gitParityCases.count >= 60)
    }

    @Test(arguments: gitParityCases)
    func agreesWithGit(_ row: GitParityCase) throws {
        let ancestors = row.path.indices.filter { row.path[$0] == UInt8(ascii: "/") }.map { Array(row.path[..<$0]) }
        let queries = ancestors + [row.path]
        let gitignore = Array(row.gitignore.utf8)
        let answers = try GitIgnoreOracle.answers(
            gitignore: gitignore, entries: [(row.path, row.isDirectory)], queries: queries)
        #expect(answers.last?.isIgnored == row.ignored, "git: \(answers.last.map(String.init(describing:)) ?? "-")")

        let rules = try IgnoreRules.parse(fileContents: row.gitignore)
        let lines = GitIgnoreOracle.patternLineNumbers(of: gitignore)
        #expect(rules.effectiveDecision(for: row.path, isDirectory: row.isDirectory)?.isExcluded ?? false == row.ignored)
        for (index, query) in queries.enumerated() {
            let isDirectory = index < ancestors.count || row.isDirectory
            let ours = rules.effectiveDecision(for: query, isDirectory: isDirectory)
            #expect(ours.map { lines[$0.patternIndex] } == answers[index].lineNumber, "deciding line for \(query)")
        }
        // When no parent is excluded, the path's own decision is git's answer too.
        if !answers.dropLast().contains(where: \.isIgnored) {
            let own = rules.decision(for: row.path, isDirectory: row.isDirectory)
            #expect(own.map { lines[$0.patternIndex] } == answers.last?.lineNumber)
        }
    }

    @Test("a re-included file below an excluded directory is decided by the directory")
    func excludedParentWins() throws {
        let rules = try IgnoreRules.parse(fileContents: "build/\n!build/keep.txt\n")
        let keep = Array("build/keep.txt".utf8)
        // The path alone is re-included by its own "!" line ...
        #expect(rules.decision(for: keep, isDirectory: false)?.effect == .included)
        // ... but a walker never gets there, because it does not descend into "build".
        #expect(rules.decision(for: Array("build".utf8), isDirectory: true)?.isExcluded == true)
        let effective = rules.effectiveDecision(for: keep, isDirectory: false)
        #expect(effective?.isExcluded == true)
        #expect(effective?.pattern.source == "build/")
    }
}
