import SindriSystem
import Testing
@testable import SindriBackup

/// `RestorePathSelection` on its own: literal PATHs select a member and what lies below it,
/// globs are anchored at the home, `./x` and `x/` are `x`, and the PATHs that select nothing are
/// named in the order given.
@Suite("restore PATH selection")
struct RestorePathSelectionUnitTests {
    static let members: [(path: [UInt8], isDirectory: Bool)] = [
        ("a", true), ("a/b", true), ("a/b/c.txt", false), ("a/bc", false), (".env", false), ("x/y/.env", false), ("x", true), ("x/y", true),
    ].map { (Array($0.0.utf8), $0.1) }

    static func selected(_ paths: [String]) throws -> [String] {
        let selection = try RestorePathSelection(paths)
        return members.filter { selection.selects($0.path, isDirectory: $0.isDirectory) }.map { String(decoding: $0.path, as: UTF8.self) }
    }

    @Test("what each PATH selects", arguments: [
        (["a/b"], ["a/b", "a/b/c.txt"]),
        (["./a/b/"], ["a/b", "a/b/c.txt"]),
        (["a/b*"], ["a/b", "a/b/c.txt", "a/bc"]),
        (["*.env"], [".env"]),  // anchored: not x/y/.env; as in git, * matches a leading dot
        ([".env"], [".env"]),
        (["**/.env"], [".env", "x/y/.env"]),
        (["a/?/*.txt"], ["a/b/c.txt"]),
        (["[ax]"], ["a", "a/b", "a/b/c.txt", "a/bc", "x/y/.env", "x", "x/y"]),
        (["."], ["a", "a/b", "a/b/c.txt", "a/bc", ".env", "x/y/.env", "x", "x/y"]),
    ])
    func selects(paths: [String], expected: [String]) throws {
        #expect(try Self.selected(paths) == expected)
    }

    @Test("the PATHs that select nothing, in the order given")
    func unmatched() throws {
        let selection = try RestorePathSelection(["nope", "a", "*.md", "a/b/c.txt/d"])
        #expect(selection.unmatched(in: Self.members) == ["nope", "*.md", "a/b/c.txt/d"])
        #expect(RestorePathSelection.everything.unmatched(in: []) == [])
    }

    @Test("absolute PATHs, '..', empty PATHs and unusable patterns are usage errors", arguments: ["/a", "a/../b", "..", "", "a/[b"])
    func refused(path: String) throws {
        #expect(throws: SindriError.self) { try RestorePathSelection([path]) }
    }
}
