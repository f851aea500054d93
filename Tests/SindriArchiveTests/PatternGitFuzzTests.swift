import Testing
import SindriArchive

/// A small deterministic generator (SplitMix64), so that every run checks the same patterns.
struct PatternFuzzRandom: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}

/// Random patterns built from every wildcard form, over a random tree of short names, compared with git.
@Suite("random patterns agree with git check-ignore", .enabled(if: GitIgnoreOracle.isAvailable))
struct PatternGitFuzzTests {
    static let pieces = [
        "a", "b", "ab", ".", "/", "/", "*", "**", "***", "?", "[ab]", "[!a]", "[a-b]", "\\a", "x", "\\*", "\\/",
        "[]a]", "[a-]", "[[:alpha:]]", "[^b]", "\\ ", " ", "-", "[\\]]",
    ]
    static let names = ["a", "b", "ab", "ba", "aab", "a.b", "x", "bx", "a b", "]", "-a", "a-", "b ", "a]b"]

    @Test(arguments: 0 ..< 32)
    func randomPatternsAgree(seed: Int) throws {
        var random = PatternFuzzRandom(state: UInt64(seed) &* 0x1234_5678_9ABC)
        let (entries, nodes) = Self.randomTree(using: &random)
        var patterns: [String] = []
        for _ in 0 ..< 12 { patterns.append(Self.randomPattern(using: &random)) }
        let answers = try GitIgnoreOracle.answers(
            gitignores: patterns.map { Array($0.utf8) }, entries: entries, queries: nodes.map(\.path))

        for (pattern, gitAnswers) in zip(patterns, answers) {
            let parsed: IgnorePattern
            do {
                parsed = try IgnorePattern(pattern)
            } catch {
                // We refuse only patterns that git keeps but can never match.
                #expect(gitAnswers.allSatisfy { $0.lineNumber == nil }, "\(pattern): \(error)")
                continue
            }
            let rules = IgnoreRules(patterns: [parsed])
            for (node, gitAnswer) in zip(nodes, gitAnswers) {
                let ours = rules.effectiveDecision(for: node.path, isDirectory: node.isDirectory)
                #expect(
                    (ours != nil) == (gitAnswer.lineNumber != nil) && (ours?.isExcluded ?? false) == gitAnswer.isIgnored,
                    "pattern '\(pattern)' on \(String(decoding: node.path, as: UTF8.self))\(node.isDirectory ? "/" : ""): git \(gitAnswer)")
            }
        }
    }

    static func randomPattern(using random: inout PatternFuzzRandom) -> String {
        var pattern = ""
        if Int.random(in: 0 ..< 10, using: &random) == 0 { pattern += "!" }
        if Int.random(in: 0 ..< 5, using: &random) == 0 { pattern += "/" }
        for _ in 0 ..< Int.random(in: 1 ... 5, using: &random) {
            pattern += pieces.randomElement(using: &random)!
        }
        if Int.random(in: 0 ..< 6, using: &random) == 0 { pattern += "/" }
        return pattern
    }

    /// Random paths; every prefix of a path is a directory, other paths are files or directories at random.
    static func randomTree(
        using random: inout PatternFuzzRandom
    ) -> (entries: [(path: [UInt8], isDirectory: Bool)], nodes: [(path: [UInt8], isDirectory: Bool)]) {
        var leaves: Set<String> = []
        for _ in 0 ..< 10 {
            let depth = Int.random(in: 1 ... 4, using: &random)
            leaves.insert((0 ..< depth).map { _ in names.randomElement(using: &random)! }.joined(separator: "/"))
        }
        var directories: Set<String> = []
        for leaf in leaves {
            var prefix = ""
            for component in leaf.split(separator: "/").dropLast() {
                prefix += prefix.isEmpty ? String(component) : "/" + component
                directories.insert(prefix)
            }
        }
        var entries: [(path: [UInt8], isDirectory: Bool)] = []
        var nodes: [(path: [UInt8], isDirectory: Bool)] = []
        for leaf in leaves.sorted() where !directories.contains(leaf) {
            let isDirectory = Bool.random(using: &random)
            entries.append((Array(leaf.utf8), isDirectory))
            nodes.append((Array(leaf.utf8), isDirectory))
        }
        for directory in directories.sorted() { nodes.append((Array(directory.utf8), true)) }
        return (entries, nodes)
    }
}
