import SindriJournal
import Testing
import SindriBackup

/// The simulated power cut: thrown when the applier's event budget runs out.
struct JournalSimulatedCrash: Error {}

/// What happens to journal bytes written after the last fsync when the power goes.
enum JournalTailFate: CaseIterable, CustomStringConvertible {
    /// Never reached the disk.
    case lost
    /// All reached the disk.
    case kept
    /// Reached the disk except the second half of the last line (a torn write).
    case torn
    /// The file grew but the data blocks were never written: zeros.
    case zeroFilled

    var description: String {
        switch self {
        case .lost: "lost"
        case .kept: "kept"
        case .torn: "torn"
        case .zeroFilled: "zeroFilled"
        }
    }
}

/// The applier's disk: the fake tree (every change is durable at once, as a metadata-journaling
/// file system orders them) and the journal file, split into what was fsynced and what was not.
struct JournalFakeDisk {
    var tree: JournalFakeTree
    var durable: [UInt8] = []
    var volatile: [UInt8] = []

    /// The journal file as found after a power cut.
    func journalAfterCrash(_ fate: JournalTailFate) -> [UInt8] {
        switch fate {
        case .lost: return durable
        case .kept: return durable + volatile
        case .zeroFilled: return durable + [UInt8](repeating: 0, count: volatile.count)
        case .torn:
            guard !volatile.isEmpty else { return durable }
            // Cut in the middle of the last line of the unsynced bytes.
            let body = volatile.dropLast()
            let lastLineStart = body.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
            let cut = lastLineStart + (volatile.count - lastLineStart) / 2
            return durable + volatile[..<cut]
        }
    }

    /// The disk after a power cut: the tree as it is, the journal as the fate leaves it.
    func afterCrash(_ fate: JournalTailFate) -> JournalFakeDisk {
        JournalFakeDisk(tree: tree, durable: journalAfterCrash(fate), volatile: [])
    }
}

/// Drives a ``RestoreTransaction`` the way the real applier will, against the fake disk, and can
/// be stopped after any number of events (journal write, fsync, file-system call) to simulate a
/// crash at that exact point.
struct JournalFakeApplier {
    var disk: JournalFakeDisk
    /// Events left before the simulated crash; `nil` runs to the end.
    var budget: Int?
    /// Events carried out so far.
    private(set) var events = 0
    /// Steps whose file-system call fails (e.g. ENOSPC), by index.
    var failingSteps: Set<Int> = []
    /// Undo operations that fail, by step index.
    var failingUndos: Set<Int> = []
    /// Whether the fsync after the `committed` record fails (the record stays unsynced).
    var failCommitRecordSync = false
    /// Undo operations carried out (decision `.perform`), in order.
    private(set) var performedUndos: [Int] = []
    /// Every undo handed out by the transaction, in order.
    private(set) var handedOutUndos: [Int] = []
    var snapshot: [JournalLocation: JournalFakeNode] = [:]

    init(disk: JournalFakeDisk, budget: Int? = nil) {
        self.disk = disk
        self.budget = budget
    }

    private mutating func event() throws(JournalSimulatedCrash) {
        if let left = budget {
            if left == 0 { throw JournalSimulatedCrash() }
            budget = left - 1
        }
        events += 1
    }

    private mutating func append(_ records: [JournalRecord]) throws(JournalSimulatedCrash) {
        guard !records.isEmpty else { return }
        try event()
        disk.volatile += JournalCodec.encode(records)
    }

    private mutating func sync() throws(JournalSimulatedCrash) {
        try event()
        disk.durable += disk.volatile
        disk.volatile = []
    }

    /// A whole restore: begin, the batches, commit, cleanup. Returns how it ended.
    mutating func restore(_ header: JournalHeader, batches: [[JournalStep]]) throws(JournalSimulatedCrash) -> TransactionOutcome {
        var transaction = RestoreTransaction()
        guard case .appendAndSync(let begin) = transaction.begin(header) else { return unexpected("begin") }
        try append(begin)
        try sync()
        for batch in batches {
            guard case .recordIntentsThenPerform(let first, let steps, let intents) = transaction.willPerform(batch) else {
                return unexpected("willPerform")
            }
            try append(intents)
            try sync()
            for (offset, step) in steps.enumerated() {
                let index = first + offset
                try event()
                do throws(JournalFakeError) {
                    if failingSteps.contains(index) { throw JournalFakeError(errno: "ENOSPC", location: .home(step.path)) }
                    try disk.tree.perform(step)
                } catch {
                    return try drive(transaction.fail(error), &transaction)
                }
                guard case .append(let done) = transaction.didPerform(index) else { return unexpected("didPerform") }
                try append(done)
            }
        }
        return try drive(transaction.commit(), &transaction)
    }

    /// Recovery as `sindri restore`/`rollback` starts: read the journal, take it over, drive.
    mutating func recover() throws(JournalSimulatedCrash) -> TransactionOutcome {
        let journal: DecodedJournal
        do {
            journal = try JournalCodec.decodeJournal(disk.durable + disk.volatile)
        } catch {
            Issue.record("the journal left by a crash must decode: \(error)")
            return .journalUnusable(reason: "\(error)")
        }
        var transaction = RestoreTransaction()
        return try drive(transaction.recover(from: journal), &transaction)
    }

    /// Carries out actions until the transaction finishes.
    mutating func drive(_ first: TransactionAction, _ transaction: inout RestoreTransaction) throws(JournalSimulatedCrash) -> TransactionOutcome {
        var action = first
        while true {
            switch action {
            case .undo(let planned, let records):
                handedOutUndos.append(planned.index)
                // A journal write failing during rollback is no reason to stop undoing.
                try append(records)
                try event()
                do throws(JournalFakeError) {
                    if failingUndos.contains(planned.index) { throw JournalFakeError(errno: "EIO", location: .home(planned.operation.path)) }
                    switch try disk.tree.carryOut(planned.operation, snapshot: snapshot) {
                    case .perform: performedUndos.append(planned.index)
                    case .alreadyUndone: break
                    case .cannotUndo(let why):
                        action = transaction.undoFailed(planned.index, reason: why)
                        continue
                    }
                    action = transaction.didUndo(planned.index)
                } catch {
                    action = transaction.undoFailed(planned.index, reason: error.description)
                }
            case .syncDirectoriesForCommit(let records, let directories):
                try append(records)
                try sync()
                for _ in directories { try event() }
                action = transaction.didSyncDirectories()
            case .appendAndSync(let records):
                // Only the `committed` record reaches here.
                try append(records)
                if failCommitRecordSync {
                    try event()
                    action = transaction.fail(reason: "fsync of the journal: EIO")
                    continue
                }
                try sync()
                action = transaction.didRecordCommit()
            case .truncateJournal(let count):
                try event()
                let bytes = disk.durable + disk.volatile
                disk.durable = Array(bytes.prefix(count))
                disk.volatile = []
                action = transaction.didTruncateJournal()
            case .finish(let records, let outcome):
                if !records.isEmpty {
                    try append(records)
                    try sync()
                }
                switch outcome {
                case .committed, .rolledBack, .nothingToRecover:
                    // Remove <home>/.sindri/txn-<id>/ (aside and staging), one entry at a time.
                    for location in disk.tree.aside.keys.sorted(by: { "\($0)" < "\($1)" }) + disk.tree.staging.keys.sorted(by: { "\($0)" < "\($1)" }) {
                        try event()
                        disk.tree.nodes[location] = nil
                    }
                default:
                    break
                }
                return outcome
            case .invalid(let reason):
                Issue.record("unexpected invalid transition: \(reason)")
                return .journalUnusable(reason: reason)
            case .append, .recordIntentsThenPerform:
                return unexpected("\(action)")
            }
        }
    }

    private func unexpected(_ what: String) -> TransactionOutcome {
        Issue.record("unexpected action at \(what)")
        return .journalUnusable(reason: what)
    }
}
