import SindriBackup
import SindriJournal

/// A realistic restore for the journal tests: a home with files, a symlink, directories and
/// non-UTF-8 names, a staging directory with the verified new content, and a 22-step plan that
/// mixes every kind of step (plain replacement, merge-mode `.bak`, file->directory and
/// directory->file type changes, new directories, removal, attribute changes, and the
/// `setAttributes` of each parent directory before its first change, so its mtime comes back).
struct JournalScenario {
    var initial: JournalFakeTree
    var steps: [JournalStep]
    var header: JournalHeader
    /// What the plan replaces or removes, as the pre-restore snapshot holds it.
    var snapshot: [JournalLocation: JournalFakeNode]

    static func attributes(_ mode: UInt32, _ mtime: Int64, nanoseconds: UInt32 = 0) -> FileAttributes {
        FileAttributes(mode: mode, uid: 1000, gid: 1000, mtimeSeconds: mtime, mtimeNanoseconds: nanoseconds)
    }

    /// The attributes the fake applier gives a directory when it performs `setAttributes`.
    static let newDirectoryAttributes = FileAttributes(mode: 0o700, uid: 0, gid: 0, mtimeSeconds: 42, mtimeNanoseconds: 7)

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    static let cafe: [UInt8] = [0x63, 0x61, 0x66, 0xE9]                    // "caf\xE9", Latin-1, not UTF-8
    static let cafeBackup: [UInt8] = cafe + Array(".bak".utf8)
    static let odd: [UInt8] = Array("docs/".utf8) + [0xFF, 0xFE, 0x0A]     // invalid UTF-8 and a newline

    static let realistic: JournalScenario = {
        func a(_ mode: UInt32, _ mtime: Int64, nanoseconds: UInt32 = 0) -> FileAttributes {
            attributes(mode, mtime, nanoseconds: nanoseconds)
        }
        func file(_ content: String, _ mtime: Int64) -> JournalFakeNode { .file(content: content, attributes: a(0o644, mtime, nanoseconds: 123)) }
        func directory(_ mtime: Int64, mode: UInt32 = 0o755) -> JournalFakeNode { .directory(attributes: a(mode, mtime, nanoseconds: 999)) }
        let b = bytes
        var nodes: [JournalLocation: JournalFakeNode] = [
            .home([]): directory(100),
            .home(b(".bashrc")): file("old bashrc", 101),
            .home(b(".vimrc")): file("old vimrc", 102),
            .home(b(".config")): directory(103),
            .home(b(".config/app.toml")): file("old toml", 104),
            .home(b(".config/dir-to-file")): directory(105),
            .home(b(".config/dir-to-file/keep")): file("kept inside", 106),
            .home(b(".config/untouched")): file("never touched", 107),
            .home(b("notes")): file("notes as a file", 108),
            .home(b("link")): .symlink(target: "old-target", attributes: a(0o777, 109)),
            .home(cafe): file("latin-1 name", 110),
            .home(b("obsolete")): file("removed by full mode", 111),
            .home(b("docs")): directory(112, mode: 0o750),
            .home(b("docs/readme")): file("docs readme", 113),
        ]
        let staged: [(String, JournalFakeNode)] = [
            ("s0", file("new bashrc", 200)), ("s1", file("new vimrc", 201)), ("s2", file("new toml", 202)),
            ("s3", file("file that was a directory", 203)), ("s4", file("brand new", 204)),
            ("s5", file("today's notes", 205)), ("s6", .symlink(target: "new-target", attributes: a(0o777, 206))),
            ("s7", file("new latin-1 content", 207)), ("s8", file("odd name", 208)),
        ]
        for (name, node) in staged { nodes[.staging(b(name))] = node }
        let initial = JournalFakeTree(nodes)
        func previous(_ path: [UInt8]) -> FileAttributes { nodes[.home(path)]!.attributes }

        let steps: [JournalStep] = [
            .setAttributes(path: [], previous: previous([])),                           // 0
            .moveAside(path: b(".bashrc"), asideName: b("a0")),                         // 1
            .replace(path: b(".bashrc"), stagingName: b("s0")),                         // 2
            .keepBackup(path: b(".vimrc"), backupPath: b(".vimrc.bak")),                // 3
            .replace(path: b(".vimrc"), stagingName: b("s1")),                          // 4
            .setAttributes(path: b(".config"), previous: previous(b(".config"))),       // 5
            .moveAside(path: b(".config/app.toml"), asideName: b("a1")),                // 6
            .replace(path: b(".config/app.toml"), stagingName: b("s2")),                // 7
            .moveAside(path: b(".config/dir-to-file"), asideName: b("a2")),             // 8
            .replace(path: b(".config/dir-to-file"), stagingName: b("s3")),             // 9
            .createDirectory(path: b(".config/new")),                                   // 10
            .placeNew(path: b(".config/new/file"), stagingName: b("s4")),               // 11
            .moveAside(path: b("notes"), asideName: b("a3")),                           // 12
            .createDirectory(path: b("notes")),                                         // 13
            .placeNew(path: b("notes/today"), stagingName: b("s5")),                    // 14
            .moveAside(path: b("link"), asideName: b("a4")),                            // 15
            .replace(path: b("link"), stagingName: b("s6")),                            // 16
            .keepBackup(path: cafe, backupPath: cafeBackup),                            // 17
            .replace(path: cafe, stagingName: b("s7")),                                 // 18
            .moveAside(path: b("obsolete"), asideName: b("a5")),                        // 19
            .setAttributes(path: b("docs"), previous: previous(b("docs"))),             // 20
            .placeNew(path: odd, stagingName: b("s8")),                                 // 21
        ]
        // The snapshot holds every original the plan replaces, modifies or removes.
        var snapshot: [JournalLocation: JournalFakeNode] = [:]
        for step in steps {
            guard step.originalHolder != nil else { continue }
            let root = JournalLocation.home(step.path)
            for (location, node) in nodes where location == root || JournalFakeTree.isBelow(location, root) {
                snapshot[location] = node
            }
        }
        let header = JournalHeader(
            transactionID: "20240501-120000-ab12", createdAt: 1_714_564_800, mode: "merge",
            archive: "/backups/home \"weekly\".tar.gz", snapshotName: "snapshot-20240501-120000-ab12.tar.gz")
        return JournalScenario(initial: initial, steps: steps, header: header, snapshot: snapshot)
    }()

    /// The steps cut into batches of `size` (the last may be shorter).
    func batches(of size: Int) -> [[JournalStep]] {
        stride(from: 0, to: steps.count, by: size).map { Array(steps[$0..<min($0 + size, steps.count)]) }
    }
}

extension JournalFakeTree {
    /// What the applier does for a step (the system calls of the real one, in memory).
    mutating func perform(_ step: JournalStep) throws(JournalFakeError) {
        switch step {
        case .createDirectory(let path): try mkdir(.home(path), mode: 0o755)
        case .placeNew(let path, let name, _): try rename(.staging(name), .home(path), noReplace: true)
        case .moveAside(let path, let name): try rename(.home(path), .aside(name), noReplace: true)
        case .keepBackup(let path, let backup): try rename(.home(path), .home(backup), noReplace: true)
        case .replace(let path, let name, _): try rename(.staging(name), .home(path), noReplace: false)
        case .setAttributes(let path, _): try setAttributes(.home(path), JournalScenario.newDirectoryAttributes)
        }
    }

    /// What the applier does for an undo operation: check the preconditions, then the call.
    /// Returns the decision; throws what the system call would fail with.
    @discardableResult
    mutating func carryOut(
        _ operation: UndoOperation, snapshot: [JournalLocation: JournalFakeNode] = [:]
    ) throws(JournalFakeError) -> UndoDecision {
        let decision = operation.decide { presence($0) }
        guard decision == .perform else { return decision }
        switch operation {
        case .removeIfPresent(let path, _): try unlink(.home(path))
        case .removeEmptyDirectory(let path, _): try rmdir(.home(path))
        case .renameBack(let from, let to): try rename(from, .home(to), noReplace: true)
        case .restoreAttributes(let path, let attributes, _): try setAttributes(.home(path), attributes)
        case .extractFromSnapshot(let path): try extract(path, from: snapshot)
        }
        return decision
    }
}
