/// Turns journaled steps into undo operations. Shared by the live rollback in
/// ``RestoreTransaction`` and by ``JournalRecovery``, so a rollback after a crash does exactly
/// what the interrupted process would have done.
package enum UndoPlanner {
    /// The undo of every step, index-aligned, for a transaction that did not commit: originals
    /// are still parked in the aside directory or at their `.bak` names.
    ///
    /// The conditions (see ``UndoCondition``) are derived here: an entry the restore put at a
    /// path is removed only once its staging entry is gone and, if the original of that path or of
    /// one of its parent directories was parked earlier in the transaction, only while that
    /// original is still parked.
    static func rollbackOperations(for steps: [JournalStep]) -> [UndoOperation] {
        var holders = JournalOriginalHolders()
        var operations: [UndoOperation] = []
        operations.reserveCapacity(steps.count)
        for step in steps {
            let parked = holders.nearestHolder(coveringPath: step.path)
            switch step {
            case .createDirectory(let path):
                operations.append(.removeEmptyDirectory(path: path, condition: UndoCondition(requireOriginalAt: parked)))
            case .placeNew(let path, let stagingName, _), .replace(let path, let stagingName, _):
                operations.append(.removeIfPresent(
                    path: path, condition: UndoCondition(skipIfStillStaged: stagingName, requireOriginalAt: parked)))
            case .moveAside(let path, let asideName):
                operations.append(.renameBack(from: .aside(asideName), to: path))
            case .keepBackup(let path, let backupPath):
                operations.append(.renameBack(from: .home(backupPath), to: path))
            case .setAttributes(let path, let previous):
                operations.append(.restoreAttributes(
                    path: path, attributes: previous, condition: UndoCondition(requireOriginalAt: parked)))
            }
            if let holder = step.originalHolder { holders.record(path: step.path, holder: holder) }
        }
        return operations
    }

    /// The planned undos, newest step first, skipping the steps in `undone` except attribute
    /// restores: those are always repeated. After a rollback that failed part-way, the retry
    /// undoes steps that come after (in undo order) an already restored directory's attributes,
    /// and each of them moves that directory's mtime again; setting the recorded attributes once
    /// more is harmless and puts it right.
    static func rollbackPlan(for steps: [JournalStep], skipping undone: Set<Int> = []) -> [PlannedUndo] {
        let operations = rollbackOperations(for: steps)
        return steps.indices.reversed().compactMap { index in
            if undone.contains(index), !steps[index].isAttributeChange { return nil }
            return PlannedUndo(index: index, step: steps[index], operation: operations[index])
        }
    }

    /// The undo of a committed transaction, newest step first: the parked originals were
    /// deleted at commit, so they come back from the snapshot. See
    /// ``JournalRecovery/undoCompleted(records:)``.
    static func completedOperations(for steps: [JournalStep]) -> [UndoOperation] {
        var operations: [UndoOperation] = []
        for step in steps.reversed() {
            switch step {
            case .createDirectory(let path):
                operations.append(.removeEmptyDirectory(path: path, condition: .always))
            case .placeNew(let path, _, _), .replace(let path, _, _):
                operations.append(.removeIfPresent(path: path, condition: .always))
            case .moveAside(let path, _):
                operations.append(.extractFromSnapshot(path: path))
            case .keepBackup(let path, let backupPath):
                operations.append(.extractFromSnapshot(path: path))
                operations.append(.removeIfPresent(path: backupPath, condition: .always))
            case .setAttributes(let path, let previous):
                operations.append(.restoreAttributes(path: path, attributes: previous, condition: .always))
            }
        }
        return operations
    }
}

/// For each home path whose original was parked, where it went (the latest such step wins).
package struct JournalOriginalHolders {
    private var byPath: [[UInt8]: (index: Int, holder: JournalLocation)] = [:]
    private var counter = 0

    mutating func record(path: [UInt8], holder: JournalLocation) {
        byPath[path] = (counter, holder)
        counter += 1
    }

    /// The most recently parked original among `path` and its parent directories.
    func nearestHolder(coveringPath path: [UInt8]) -> JournalLocation? {
        if byPath.isEmpty { return nil }
        var best: (index: Int, holder: JournalLocation)?
        func consider(_ candidate: [UInt8]) {
            if let found = byPath[candidate], best.map({ found.index > $0.index }) ?? true { best = found }
        }
        consider(path)
        var position = path.endIndex
        while let slash = path[..<position].lastIndex(of: UInt8(ascii: "/")) {
            consider(Array(path[..<slash]))
            position = slash
        }
        return best?.holder
    }
}

extension JournalStep {
    /// Whether this is a `setAttributes` step.
    var isAttributeChange: Bool {
        if case .setAttributes = self { return true }
        return false
    }
}
