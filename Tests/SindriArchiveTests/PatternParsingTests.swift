import Foundation
import Testing
import SindriArchive

@Suite("parsing gitignore lines and files")
struct PatternParsingTests {
    struct FlagsRow: Sendable, CustomTestStringConvertible {
        let line: String
        let negated: Bool
        let directoryOnly: Bool
        let anyDepth: Bool
        var testDescription: String { "'\(line)'" }
    }

    @Test(arguments: [
        FlagsRow(line: "*.log", negated: false, directoryOnly: false, anyDepth: true),
        FlagsRow(line: "!keep.log", negated: true, directoryOnly: false, anyDepth: true),
        FlagsRow(line: "build/", negated: false, directoryOnly: true, anyDepth: true),
        FlagsRow(line: "/build", negated: false, directoryOnly: false, anyDepth: false),
        FlagsRow(line: "doc/*.txt", negated: false, directoryOnly: false, anyDepth: false),
        FlagsRow(line: "!/a/b/", negated: true, directoryOnly: true, anyDepth: false),
        FlagsRow(line: "\\!x", negated: false, directoryOnly: false, anyDepth: true),
        FlagsRow(line: "**/node_modules/**", negated: false, directoryOnly: false, anyDepth: false),
    ])
    func flags(_ row: FlagsRow) throws {
        let pattern = try IgnorePattern(row.line)
        #expect(pattern.source == row.line)
        #expect(pattern.isNegated == row.negated)
        #expect(pattern.isDirectoryOnly == row.directoryOnly)
        #expect(pattern.matchesNameAtAnyDepth == row.anyDepth)
    }

    @Test(arguments: ["", "   ", "# a comment", "#", "#!/bin/sh"])
    func blankAndCommentLinesHoldNoPattern(_ line: String) throws {
        #expect(try IgnorePattern.parse(line) == nil)
        #expect(throws: PatternError(kind: .blankOrComment, line: line)) { try IgnorePattern(line) }
    }

    @Test(arguments: [
        ("!", PatternError.Kind.emptyPattern),
        ("/", .emptyPattern),
        ("!/", .emptyPattern),
        ("foo\\", .trailingBackslash),
        ("foo\\/", .trailingBackslash),
        ("[abc", .unterminatedCharacterClass),
        ("[]", .unterminatedCharacterClass),
        ("[!]", .unterminatedCharacterClass),
        ("[a-\\", .unterminatedCharacterClass),
        ("[[:alpha:]", .unterminatedCharacterClass),
        ("x[[:foo:]]", .unknownCharacterClass(name: "foo")),
        ("[[::]]", .unknownCharacterClass(name: "")),
    ])
    func unusablePatternsAreRefused(_ line: String, _ kind: PatternError.Kind) {
        #expect(throws: PatternError(kind: kind, line: line)) { try IgnorePattern.parse(line) }
    }

    @Test func sourceKeepsTheLineAsGiven() throws {
        let pattern = try IgnorePattern("name  ")
        #expect(pattern.source == "name  ")
        #expect(pattern.matches(Array("name".utf8), isDirectory: false))
        #expect(!pattern.matches(Array("name  ".utf8), isDirectory: false))
        #expect(pattern.description == "name  ")
    }

    @Test func negatedPatternStillReportsItsMatch() throws {
        let pattern = try IgnorePattern("!*.log")
        #expect(pattern.matches(Array("a/b.log".utf8), isDirectory: false))
        #expect(!pattern.matches(Array("a/b.txt".utf8), isDirectory: false))
    }

    @Test func equalityFollowsTheSource() throws {
        #expect(try IgnorePattern("*.log") == IgnorePattern("*.log"))
        #expect(try IgnorePattern("*.log") != IgnorePattern("/*.log"))
        #expect(try Set([IgnorePattern("a"), IgnorePattern("a"), IgnorePattern("b")]).count == 2)
    }

    @Test func fileParsingSkipsCommentsBlankLinesAndCarriageReturns() throws {
        let contents = "\u{FEFF}# caches\r\n\r\n*.log\r\n!keep.log\r\n   \nbuild/\n\\#literal\n"
        let rules = try IgnoreRules.parse(fileContents: contents)
        #expect(rules.patterns.map(\.source) == ["*.log", "!keep.log", "build/", "\\#literal"])
    }

    @Test func lastMatchingPatternDecides() throws {
        let rules = try IgnoreRules.parse(fileContents: "*.log\n!keep.log\n")
        let other = rules.decision(for: Array("x/other.log".utf8), isDirectory: false)
        #expect(other?.effect == .excluded)
        #expect(other?.patternIndex == 0)
        let keep = rules.decision(for: Array("x/keep.log".utf8), isDirectory: false)
        #expect(keep?.effect == .included)
        #expect(keep?.pattern.source == "!keep.log")
        #expect(keep?.patternIndex == 1)
        #expect(rules.decision(for: Array("x/readme".utf8), isDirectory: false) == nil)
        #expect(rules.isExcluded(Array("other.log".utf8), isDirectory: false))
        #expect(!rules.isExcluded(Array("keep.log".utf8), isDirectory: false))
    }

    @Test func appendedPatternsTakePrecedence() throws {
        var rules = try IgnoreRules(lines: ["!*.log"])
        #expect(!rules.isExcluded(Array("a.log".utf8), isDirectory: false))
        rules.append(contentsOf: try IgnoreRules(lines: ["a.log"]))
        #expect(rules.isExcluded(Array("a.log".utf8), isDirectory: false))
        rules.append(try IgnorePattern("!a.*"))
        #expect(!rules.isExcluded(Array("a.log".utf8), isDirectory: false))
    }

    @Test func fileErrorsNameTheLine() {
        let contents = "*.log\n\n# fine\n[oops\n"
        #expect(throws: PatternError(kind: .unterminatedCharacterClass, line: "[oops", lineNumber: 4)) {
            try IgnoreRules.parse(fileContents: contents)
        }
        #expect(throws: PatternError(kind: .emptyPattern, line: "!", lineNumber: 2)) {
            try IgnoreRules(lines: ["ok", "!"])
        }
        let error = PatternError(kind: .trailingBackslash, line: "x\\", lineNumber: 7)
        #expect(error.description.contains("line 7"))
        #expect(error.description.contains("x\\"))
    }
}
