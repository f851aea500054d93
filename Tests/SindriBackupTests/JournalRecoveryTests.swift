import SindriJournal
import Testing
import SindriBackup

/// ``JournalRecovery/plan(from:)`` on every prefix of a realistic journal, applied to the fake
/// tree, and on journals that break the protocol.
@Suite struct JournalRecoveryTests {
    static let scenario = JournalScenario.realistic

    /// begin, then intent and done for each of the 22 steps, then commitStarted and committed.
    static let fullRecords: [JournalRecord] = {
        var records: [JournalRecord] = [.begin(scenario.header)]
        for (index, step) in scenario.steps.enumerated() {
            records.append(.intent(index: index, step: step))
            records.append(.done(index: index))
        }
        return records + [.commitStarted, .committed]
    }()

    /// The tree as a crash after `prefix` leaves it: steps with `done` performed, the step with an
    /// intent but no `done` performed or not.
    static func crashedTree(_ prefix: [JournalRecord], inFlightPerformed: Bool) throws -> JournalFakeTree {
        var tree = scenario.initial
        var done = Set<Int>()
        for case .done(let index) in prefix { done.insert(index) }
        for case .intent(let index, let step) in prefix where done.contains(index) || inFlightPerformed {
            try tree.perform(step)
        }
        return tree
    }

    static func apply(_ undo: [PlannedUndo], to tree: inout JournalFakeTree) throws {
        for planned in undo {
            let decision = try tree.carryOut(planned.operation)
            if case .cannotUndo(let why) = decision { Issue.record("step \(planned.index): \(why)") }
        }
    }

    static func intentIndices(_ records: [JournalRecord]) -> [Int] {
        records.compactMap { if case .intent(let index, _) = $0 { index } else { nil } }
    }

    @Test(arguments: Array(0...fullRecords.count))
    func aCrashAfterEveryRecordPrefixIsUndoneExactly(_ length: Int) throws {
        let prefix = Array(Self.fullRecords.prefix(length))
        for torn in [false, true] {
            var bytes = JournalCodec.encode(prefix)
            if torn, length < Self.fullRecords.count {
                let next = JournalCodec.encode(Self.fullRecords[length])
                bytes += next.prefix(next.count / 2)
            }
            let decoded = try JournalCodec.decodeJournal(bytes)
            #expect(decoded.records == prefix)

            switch JournalRecovery.plan(from: decoded.records) {
            case .nothingToDo(let status):
                #expect(length == 0 ? status == .empty : status == .committed)
                #expect(length == 0 || prefix.last == .committed)
            case .inconsistent(let violation):
                Issue.record("\(violation)")
            case .rollBack(let plan):
                #expect(plan.header == Self.scenario.header)
                #expect(plan.undo.map(\.index) == Self.intentIndices(prefix).reversed(), "exactly the steps with intents, newest first")
                #expect(plan.interruptedStatus == (prefix.contains(.commitStarted) ? .committing : .applying))
                for inFlightPerformed in [false, true] {
                    var tree = try Self.crashedTree(prefix, inFlightPerformed: inFlightPerformed)
                    try Self.apply(plan.undo, to: &tree)
                    #expect(tree.home == Self.scenario.initial.home, "prefix \(length), in flight performed: \(inFlightPerformed)")
                    #expect(tree.aside.isEmpty)
                    // Idempotent: the whole plan again changes nothing.
                    let once = tree.nodes
                    try Self.apply(plan.undo, to: &tree)
                    #expect(tree.nodes == once)
                }
            }
        }
    }

    /// A crash during recovery, after any number of undo operations of which any number were
    /// recorded as `undone`, then recovery again, still ends in the initial tree.
    @Test(arguments: Array(stride(from: 3, through: fullRecords.count - 2, by: 4)))
    func aCrashDuringRecoveryIsRecoveredAgain(_ length: Int) throws {
        let prefix = Array(Self.fullRecords.prefix(length))
        guard case .rollBack(let plan) = JournalRecovery.plan(from: prefix) else {
            Issue.record("expected a rollback")
            return
        }
        let start = try Self.crashedTree(prefix, inFlightPerformed: true)
        for carriedOut in 0...plan.undo.count {
            for recorded in 0...carriedOut {
                var tree = start
                try Self.apply(Array(plan.undo.prefix(carriedOut)), to: &tree)
                let journal = prefix + [.rollbackStarted(reason: "recovery")]
                    + plan.undo.prefix(recorded).map { JournalRecord.undone(index: $0.index) }
                guard case .rollBack(let second) = JournalRecovery.plan(from: journal) else {
                    Issue.record("expected a rollback")
                    return
                }
                #expect(second.interruptedStatus == .rollingBack)
                try Self.apply(second.undo, to: &tree)
                #expect(tree.home == Self.scenario.initial.home, "carried out \(carriedOut), recorded \(recorded)")
                #expect(tree.aside.isEmpty)
            }
        }
    }

    @Test func undoneStepsAreSkippedButAttributeRestoresAreRepeated() {
        let records = Array(Self.fullRecords.prefix(23)) + [.rollbackStarted(reason: "x"), .undone(index: 10), .undone(index: 9), .undone(index: 5)]
        guard case .rollBack(let plan) = JournalRecovery.plan(from: records) else {
            Issue.record("expected a rollback")
            return
        }
        #expect(plan.undo.map(\.index) == [8, 7, 6, 5, 4, 3, 2, 1, 0])
    }

    @Test func aFailedRollbackIsRetried() {
        let records = Array(Self.fullRecords.prefix(5)) + [.rollbackStarted(reason: "x"), .undone(index: 1), .rollbackFailed(reason: "step 0 failed")]
        guard case .rollBack(let plan) = JournalRecovery.plan(from: records) else {
            Issue.record("expected a rollback")
            return
        }
        #expect(plan.undo.map(\.index) == [0])
        #expect(plan.interruptedStatus == .rollbackFailed(reason: "step 0 failed"))
        #expect(JournalRecovery.status(of: records) == .success(.rollbackFailed(reason: "step 0 failed")))
    }

    @Test func aCommitWhoseRecordFailedAndWasRolledBackIsHandled() {
        let committedThenRollback = Self.fullRecords + [.rollbackStarted(reason: "fsync of committed failed")]
        guard case .rollBack(let plan) = JournalRecovery.plan(from: committedThenRollback) else {
            Issue.record("expected a rollback")
            return
        }
        #expect(plan.undo.count == Self.scenario.steps.count)
        #expect(JournalRecovery.plan(from: committedThenRollback + [.rolledBack]) == .nothingToDo(.rolledBack))
    }

    @Test(arguments: [
        (Self.fullRecords, JournalStatus.committed),
        ([], .empty),
        (Array(Self.fullRecords.prefix(1)), .applying),
        (Array(Self.fullRecords.prefix(46)), .committing),
        (Array(Self.fullRecords.prefix(45)), .applying),
        (Array(Self.fullRecords.prefix(3)) + [.rollbackStarted(reason: "x")], .rollingBack),
        (Array(Self.fullRecords.prefix(3)) + [.rollbackStarted(reason: "x"), .rolledBack], .rolledBack),
    ])
    func statusOfAJournal(_ records: [JournalRecord], _ expected: JournalStatus) {
        #expect(JournalRecovery.status(of: records) == .success(expected))
    }

    static let header = JournalRecord.begin(scenario.header)
    static let intent0 = JournalRecord.intent(index: 0, step: .createDirectory(path: Array("n".utf8)))

    @Test(arguments: [
        ([intent0], "first record is not `begin`"),
        ([header, header], "a second `begin`"),
        ([header, .intent(index: 1, step: .createDirectory(path: Array("n".utf8)))], "expected step 0"),
        ([header, intent0, intent0], "expected step 1"),
        ([header, .done(index: 0)], "no intent"),
        ([header, intent0, .commitStarted, .intent(index: 1, step: .createDirectory(path: Array("m".utf8)))], "stopped applying"),
        ([header, .committed], "out of order"),
        ([header, .rolledBack], "out of order"),
        ([header, .undone(index: 0)], "out of order"),
        ([header, .rollbackStarted(reason: "x"), .rolledBack, .rollbackStarted(reason: "y")], "after `rolledBack`"),
        ([header, .rollbackStarted(reason: "x"), .commitStarted], "out of order"),
        ([header, intent0, .rollbackStarted(reason: "x"), .undone(index: 3)], "no intent"),
        ([header, .intent(index: 0, step: .placeNew(path: Array("../x".utf8), stagingName: Array("s".utf8)))], "not a clean relative path"),
    ])
    func aJournalThatBreaksTheProtocolIsInconsistent(_ records: [JournalRecord], _ expected: String) {
        guard case .inconsistent(let violation) = JournalRecovery.plan(from: records) else {
            Issue.record("expected inconsistent")
            return
        }
        #expect(violation.description.contains(expected), "\(violation)")
        #expect(violation.recordIndex == records.count - 1)
    }

    // MARK: Undo conditions

    static func b(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func conditionsNameTheStagedEntryAndTheParkedOriginal() {
        let steps: [JournalStep] = [
            .moveAside(path: Self.b("d"), asideName: Self.b("0")),
            .createDirectory(path: Self.b("d")),
            .placeNew(path: Self.b("d/x"), stagingName: Self.b("s0")),
            .setAttributes(path: Self.b("d"), previous: FileAttributes(mode: 0o700, uid: 0, gid: 0, mtimeSeconds: 0, mtimeNanoseconds: 0)),
            .placeNew(path: Self.b("e"), stagingName: Self.b("s1")),
            .keepBackup(path: Self.b("v"), backupPath: Self.b("v.bak")),
            .replace(path: Self.b("v"), stagingName: Self.b("s2")),
            .moveAside(path: Self.b("d/y"), asideName: Self.b("1")),   // (hypothetical) parked below a parked parent
            .replace(path: Self.b("d/y"), stagingName: Self.b("s3")),
        ]
        let records = [Self.header] + steps.enumerated().map { JournalRecord.intent(index: $0.offset, step: $0.element) }
        guard case .rollBack(let plan) = JournalRecovery.plan(from: records) else {
            Issue.record("expected a rollback")
            return
        }
        let byIndex = Dictionary(uniqueKeysWithValues: plan.undo.map { ($0.index, $0.operation) })
        #expect(byIndex[0] == .renameBack(from: .aside(Self.b("0")), to: Self.b("d")))
        #expect(byIndex[1] == .removeEmptyDirectory(path: Self.b("d"), condition: UndoCondition(requireOriginalAt: .aside(Self.b("0")))))
        #expect(byIndex[2] == .removeIfPresent(path: Self.b("d/x"), condition: UndoCondition(skipIfStillStaged: Self.b("s0"), requireOriginalAt: .aside(Self.b("0")))))
        #expect(byIndex[3] == .restoreAttributes(
            path: Self.b("d"), attributes: FileAttributes(mode: 0o700, uid: 0, gid: 0, mtimeSeconds: 0, mtimeNanoseconds: 0),
            condition: UndoCondition(requireOriginalAt: .aside(Self.b("0")))))
        #expect(byIndex[4] == .removeIfPresent(path: Self.b("e"), condition: UndoCondition(skipIfStillStaged: Self.b("s1"))))
        #expect(byIndex[5] == .renameBack(from: .home(Self.b("v.bak")), to: Self.b("v")))
        #expect(byIndex[6] == .removeIfPresent(path: Self.b("v"), condition: UndoCondition(skipIfStillStaged: Self.b("s2"), requireOriginalAt: .home(Self.b("v.bak")))))
        #expect(byIndex[8] == .removeIfPresent(path: Self.b("d/y"), condition: UndoCondition(skipIfStillStaged: Self.b("s3"), requireOriginalAt: .aside(Self.b("1")))),
                "the nearest (latest) parked original wins")
    }

    /// The case the conditions exist for: after the original is back, a repeated undo must not
    /// delete it, and a keepBackup that failed with EEXIST (a user's own `.bak` already there)
    /// must not have its "undo" move the user's `.bak` over the original.
    @Test func aRepeatedUndoNeverDeletesTheOriginal() throws {
        let original = JournalFakeNode.file(content: "original", attributes: JournalScenario.attributes(0o644, 1))
        var tree = JournalFakeTree([.home([]): .directory(attributes: JournalScenario.attributes(0o755, 1)), .home(Self.b("f")): original,
                                    .staging(Self.b("s")): .file(content: "new", attributes: JournalScenario.attributes(0o644, 2))])
        let steps: [JournalStep] = [.moveAside(path: Self.b("f"), asideName: Self.b("0")), .replace(path: Self.b("f"), stagingName: Self.b("s"))]
        for step in steps { try tree.perform(step) }
        guard case .rollBack(let plan) = JournalRecovery.plan(from: [Self.header] + steps.enumerated().map { .intent(index: $0.offset, step: $0.element) }) else {
            Issue.record("expected a rollback")
            return
        }
        try Self.apply(plan.undo, to: &tree)
        #expect(tree.nodes[.home(Self.b("f"))] == original)
        // The undone records were lost: everything runs again.
        #expect(plan.undo.allSatisfy { if case .alreadyUndone = $0.operation.decide(tree.presence) { true } else { false } })
        try Self.apply(plan.undo, to: &tree)
        #expect(tree.nodes[.home(Self.b("f"))] == original)
    }

    @Test func aKeepBackupThatNeverHappenedDoesNotClobberTheOriginal() throws {
        let original = JournalFakeNode.file(content: "original", attributes: JournalScenario.attributes(0o644, 1))
        let usersBackup = JournalFakeNode.file(content: "the user's own old .bak", attributes: JournalScenario.attributes(0o644, 0))
        var tree = JournalFakeTree([
            .home([]): .directory(attributes: JournalScenario.attributes(0o755, 1)),
            .home(Self.b("f")): original, .home(Self.b("f.bak")): usersBackup,
            .staging(Self.b("s")): .file(content: "new", attributes: JournalScenario.attributes(0o644, 2)),
        ])
        let steps: [JournalStep] = [.keepBackup(path: Self.b("f"), backupPath: Self.b("f.bak")), .replace(path: Self.b("f"), stagingName: Self.b("s"))]
        #expect(throws: JournalFakeError.self) { try tree.perform(steps[0]) }   // RENAME_NOREPLACE: EEXIST
        guard case .rollBack(let plan) = JournalRecovery.plan(from: [Self.header] + steps.enumerated().map { .intent(index: $0.offset, step: $0.element) }) else {
            Issue.record("expected a rollback")
            return
        }
        let before = tree.nodes
        var decisions: [UndoDecision] = []
        for planned in plan.undo { decisions.append(try tree.carryOut(planned.operation)) }
        #expect(tree.nodes == before, "nothing is touched")
        if case .alreadyUndone = decisions[0] {} else { Issue.record("the replace never happened: \(decisions[0])") }
        if case .cannotUndo = decisions[1] {} else { Issue.record("moving the user's .bak over the original must be refused: \(decisions[1])") }
    }

    @Test(arguments: [
        // (operation, presence of [home path, staging s, aside 0], expected decision kind)
        (UndoOperation.removeIfPresent(path: b("p"), condition: UndoCondition(skipIfStillStaged: b("s"), requireOriginalAt: .aside(b("0")))),
         [EntryPresence.nonDirectory, .absent, .nonDirectory], "perform"),
        (.removeIfPresent(path: b("p"), condition: UndoCondition(skipIfStillStaged: b("s"), requireOriginalAt: .aside(b("0")))),
         [.nonDirectory, .nonDirectory, .nonDirectory], "alreadyUndone"),
        (.removeIfPresent(path: b("p"), condition: UndoCondition(skipIfStillStaged: b("s"), requireOriginalAt: .aside(b("0")))),
         [.nonDirectory, .absent, .absent], "alreadyUndone"),
        (.removeIfPresent(path: b("p"), condition: .always), [.absent, .absent, .absent], "alreadyUndone"),
        (.removeIfPresent(path: b("p"), condition: .always), [.directory, .absent, .absent], "alreadyUndone"),
        (.removeEmptyDirectory(path: b("p"), condition: .always), [.directory, .absent, .absent], "perform"),
        (.removeEmptyDirectory(path: b("p"), condition: .always), [.nonDirectory, .absent, .absent], "alreadyUndone"),
        (.removeEmptyDirectory(path: b("p"), condition: UndoCondition(requireOriginalAt: .aside(b("0")))), [.directory, .absent, .absent], "alreadyUndone"),
        (.renameBack(from: .aside(b("0")), to: b("p")), [.absent, .absent, .directory], "perform"),
        (.renameBack(from: .aside(b("0")), to: b("p")), [.nonDirectory, .absent, .absent], "alreadyUndone"),
        (.renameBack(from: .aside(b("0")), to: b("p")), [.nonDirectory, .absent, .nonDirectory], "cannotUndo"),
        (.restoreAttributes(path: b("p"), attributes: FileAttributes(mode: 0o755, uid: 0, gid: 0, mtimeSeconds: 0, mtimeNanoseconds: 0), condition: .always),
         [.directory, .absent, .absent], "perform"),
        (.restoreAttributes(path: b("p"), attributes: FileAttributes(mode: 0o755, uid: 0, gid: 0, mtimeSeconds: 0, mtimeNanoseconds: 0), condition: .always),
         [.absent, .absent, .absent], "alreadyUndone"),
        (.extractFromSnapshot(path: b("p")), [.absent, .absent, .absent], "perform"),
    ])
    func undoDecisions(_ operation: UndoOperation, _ presence: [EntryPresence], _ expected: String) {
        let decision = operation.decide { location in
            switch location {
            case .home: presence[0]
            case .staging: presence[1]
            case .aside: presence[2]
            }
        }
        let kind = switch decision {
        case .perform: "perform"
        case .alreadyUndone: "alreadyUndone"
        case .cannotUndo: "cannotUndo"
        }
        #expect(kind == expected, "\(operation.preconditionDescription): \(decision)")
        #expect(!operation.preconditionDescription.isEmpty)
    }

    @Test func preconditionDescriptionsEscapeOddNames() {
        let operation = UndoOperation.removeIfPresent(path: [0x61, 0x0A, 0xFF], condition: UndoCondition(skipIfStillStaged: Self.b("s")))
        #expect(operation.preconditionDescription == "unlink a\\n\\xff if it exists and is not a directory if staging:s no longer exists")
    }
}
