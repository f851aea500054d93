/// Where a journal's transaction stands, judged from its records alone.
public enum JournalStatus: Sendable, Hashable {
    /// No records at all (the journal file was created but `begin` never reached the disk).
    case empty
    /// Steps were being applied when the process stopped.
    case applying
    /// `commitStarted` is there but not `committed`: the process stopped while making the steps
    /// durable. Not final; recovery rolls back.
    case committing
    /// The restore finished.
    case committed
    /// A rollback was under way when the process stopped.
    case rollingBack
    /// The last rollback attempt ended with undo failures.
    case rollbackFailed(reason: String)
    /// The restore was undone.
    case rolledBack
    /// `sindri rollback` of the committed restore started and has not finished (it was stopped,
    /// killed or failed): running it again finishes it. `cleared`: the first phase (clearing what
    /// the restore placed) is complete.
    case reverting(cleared: Bool)
    /// The committed restore was undone by `sindri rollback`.
    case reverted

    /// Whether nothing remains to be done for this journal.
    public var isFinal: Bool {
        switch self {
        case .empty, .committed, .rolledBack, .reverted: true
        default: false
        }
    }

    /// How `sindri rollback --list` names the state.
    public var label: String {
        switch self {
        case .empty: "empty"
        case .applying, .committing: "interrupted: run sindri rollback"
        case .committed: "committed"
        case .rollingBack, .rollbackFailed: "rollback of a failed restore unfinished: run sindri rollback"
        case .rolledBack: "rolled back"
        case .reverting: "partially rolled back: run sindri rollback again"
        case .reverted: "rolled back"
        }
    }
}

/// A journal's records checked against the protocol and summed up: the header, every step with
/// an intent (index-aligned), which were done, which were undone, and the status.
package struct JournalHistory: Sendable {
    var header: JournalHeader?
    package var steps: [JournalStep] = []
    var done: Set<Int> = []
    var undone: Set<Int> = []
    package var status: JournalStatus = .empty

    /// Reads records in order, or returns why they break the protocol (which means the journal
    /// was not written by a correct applier and must not drive an automatic rollback).
    package static func read(_ records: [JournalRecord]) -> Result<JournalHistory, JournalProtocolViolation> {
        var history = JournalHistory()
        for (position, record) in records.enumerated() {
            func violation(_ message: String) -> Result<JournalHistory, JournalProtocolViolation> {
                .failure(JournalProtocolViolation(recordIndex: position, record: record, message: message))
            }
            if position == 0 {
                guard case .begin(let header) = record else { return violation("the first record is not `begin`") }
                history.header = header
                history.status = .applying
                continue
            }
            switch (record, history.status) {
            case (.begin, _):
                return violation("a second `begin`")
            case (_, .rolledBack):
                return violation("a record after `rolledBack`")
            case (_, .reverted):
                return violation("a record after `reverted`")
            case (.revertStarted, .committed):
                history.status = .reverting(cleared: false)
            case (.revertStarted, .reverting):
                break
            case (.revertCleared, .reverting):
                history.status = .reverting(cleared: true)
            case (.reverted, .reverting(cleared: true)):
                history.status = .reverted
            case (.revertStarted, _), (.revertCleared, _), (.reverted, _):
                return violation("`\(record.typeName)` out of order (status \(history.status))")
            case (_, .reverting):
                return violation("`\(record.typeName)` during the rollback of a committed restore")
            case (.intent(let index, let step), .applying):
                guard index == history.steps.count else {
                    return violation("intent for step \(index), expected step \(history.steps.count)")
                }
                if let problem = step.validationProblem { return violation(problem) }
                history.steps.append(step)
            case (.intent, _):
                return violation("an intent after the transaction stopped applying")
            case (.done(let index), .applying):
                guard index < history.steps.count else { return violation("done for step \(index) that has no intent") }
                history.done.insert(index)
            case (.done, _):
                return violation("a done record after the transaction stopped applying")
            case (.commitStarted, .applying):
                history.status = .committing
            case (.committed, .committing):
                history.status = .committed
            case (.commitStarted, _), (.committed, _):
                return violation("`\(record.typeName)` out of order (status \(history.status))")
            case (.rollbackStarted, .applying), (.rollbackStarted, .committing), (.rollbackStarted, .committed),
                 (.rollbackStarted, .rollingBack), (.rollbackStarted, .rollbackFailed):
                // After `committed`: the commit record's fsync failed, so the applier rolled back.
                // After `rollingBack`/`rollbackFailed`: a recovery or a retry started over.
                history.status = .rollingBack
            case (.undone(let index), .rollingBack):
                guard index < history.steps.count else { return violation("undone for step \(index) that has no intent") }
                history.undone.insert(index)
            case (.rolledBack, .rollingBack):
                history.status = .rolledBack
            case (.rollbackFailed(let reason), .rollingBack):
                history.status = .rollbackFailed(reason: reason)
            case (.rollbackStarted, _), (.undone, _), (.rolledBack, _), (.rollbackFailed, _):
                return violation("`\(record.typeName)` out of order (status \(history.status))")
            }
        }
        return .success(history)
    }
}

/// Records that a correct applier could not have written.
public struct JournalProtocolViolation: Error, Sendable, Hashable, CustomStringConvertible {
    /// Position of the offending record in the record list (0-based).
    public var recordIndex: Int
    /// The offending record.
    public var record: JournalRecord
    /// What rule it breaks.
    public var message: String

    /// `journal record 12 (undone): undone for step 40 that has no intent`.
    public var description: String {
        "journal record \(recordIndex) (\(record.typeName)): \(message)"
    }
}
