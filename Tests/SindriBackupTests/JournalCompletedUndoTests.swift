import SindriJournal
import Testing
import SindriBackup

/// `sindri rollback` of the most recent committed restore: the parked originals were removed at
/// commit, so they come back from the snapshot.
@Suite struct JournalCompletedUndoTests {
    static let scenario = JournalScenario.realistic

    /// The realistic restore run to its end: the home after commit and the journal it left.
    static let committed: (tree: JournalFakeTree, records: [JournalRecord]) = {
        var applier = JournalFakeApplier(disk: JournalFakeDisk(tree: scenario.initial))
        _ = try? applier.restore(scenario.header, batches: scenario.batches(of: 3))
        return (applier.disk.tree, (try? JournalCodec.decode(applier.disk.durable)) ?? [])
    }()

    static func apply(_ operations: [UndoOperation], to tree: inout JournalFakeTree) throws {
        for operation in operations {
            if case .cannotUndo(let why) = try tree.carryOut(operation, snapshot: scenario.snapshot) {
                Issue.record("\(why)")
            }
        }
    }

    @Test func undoingACommittedRestoreGivesBackTheExactPriorHome() throws {
        let undo = try JournalRecovery.undoCompleted(records: Self.committed.records)
        #expect(undo.header == Self.scenario.header)
        var tree = Self.committed.tree
        #expect(tree.aside.isEmpty, "after commit the originals live only in the snapshot")
        try Self.apply(undo.operations, to: &tree)
        #expect(tree.home == Self.scenario.initial.home)
        #expect(tree.home[.home(JournalScenario.cafeBackup)] == nil, "the .bak files merge mode made are gone")
    }

    @Test func runningItAgainOrAfterACrashInTheMiddleGivesTheSameHome() throws {
        let undo = try JournalRecovery.undoCompleted(records: Self.committed.records)
        for crashAfter in 0...undo.operations.count {
            var tree = Self.committed.tree
            try Self.apply(Array(undo.operations.prefix(crashAfter)), to: &tree)
            try Self.apply(undo.operations, to: &tree)      // started over from the beginning
            #expect(tree.home == Self.scenario.initial.home, "crash after \(crashAfter) operations")
        }
    }

    @Test func theOperationsFollowTheStepsNewestFirst() throws {
        let undo = try JournalRecovery.undoCompleted(records: Self.committed.records)
        let b = JournalScenario.bytes
        #expect(undo.operations.first == .removeIfPresent(path: JournalScenario.odd, condition: .always))
        #expect(undo.operations.last == .restoreAttributes(path: [], attributes: Self.scenario.initial.nodes[.home([])]!.attributes, condition: .always))
        #expect(undo.snapshotPaths == [b("obsolete"), JournalScenario.cafe, b("link"), b("notes"), b(".config/dir-to-file"),
                                       b(".config/app.toml"), b(".vimrc"), b(".bashrc")])
        #expect(undo.operations.contains(.removeIfPresent(path: b(".vimrc.bak"), condition: .always)))
        let extractVimrc = undo.operations.firstIndex(of: .extractFromSnapshot(path: b(".vimrc")))!
        let removeBackup = undo.operations.firstIndex(of: .removeIfPresent(path: b(".vimrc.bak"), condition: .always))!
        #expect(extractVimrc < removeBackup, "the original is back before its .bak goes")
    }

    @Test func aDirectoryTheUserFilledSinceIsNotEmptied() throws {
        let undo = try JournalRecovery.undoCompleted(records: Self.committed.records)
        var tree = Self.committed.tree
        let added = JournalLocation.home(Array(".config/new/mine".utf8))
        tree.nodes[added] = .file(content: "written after the restore", attributes: JournalScenario.attributes(0o600, 9))
        #expect(throws: JournalFakeError.self) { try Self.apply(undo.operations, to: &tree) }
        #expect(tree.nodes[added] != nil)
    }

    @Test(arguments: [
        [JournalRecord](),
        [.begin(scenario.header)],
        [.begin(scenario.header), .commitStarted],
        [.begin(scenario.header), .rollbackStarted(reason: "x"), .rolledBack],
        [.begin(scenario.header), .commitStarted, .committed, .rollbackStarted(reason: "commit fsync failed")],
    ])
    func onlyACommittedJournalCanBeUndoneThisWay(_ records: [JournalRecord]) {
        #expect(throws: CompletedUndoError.self) { try JournalRecovery.undoCompleted(records: records) }
    }

    @Test func anInconsistentJournalIsRefused() {
        #expect {
            try JournalRecovery.undoCompleted(records: [.committed])
        } throws: { error in
            if case .inconsistent = error as? CompletedUndoError { true } else { false }
        }
    }
}
