import CSindriSystem
import Foundation
import SindriArchive
#if canImport(Glibc)
import Glibc
import SindriJournal
import SindriSystem
#endif

/// Carries out the journal's undo plans on the real file system: automatic rollback after a
/// failed apply, recovery of a restore interrupted by a crash, and `sindri rollback` of a
/// completed restore (``CompletedRollback``). The decisions are `JournalRecovery`'s and
/// `CompletedRollbackPlan`'s (pure, unit-tested); this type only looks at the disk (`lstat`,
/// never following links) and makes the calls.
enum RestoreRecovery {
    /// Before anything else: finds an unfinished transaction in the home's journals and rolls it
    /// back (through `RestoreTransaction.recover`). Returns a note for the user when it did.
    ///
    /// An unfinished `sindri rollback` of a committed restore is not an unfinished transaction:
    /// only `sindri rollback` finishes it. A restore (`allowUnfinishedRevert` false) refuses to
    /// start on top of it, since its journal and snapshot are what that rollback still needs.
    static func recoverUnfinished(home: Int32, allowUnfinishedRevert: Bool = false) throws -> String? {
        var notes: [String] = []
        var left: [String] = []
        // Finished journals say so on their last line; only the others are decoded whole.
        for stored in try JournalFile.stored(home: home) where stored.finishedStatus == nil {
            let decoded = try stored.decode()
            if case .success(.reverting) = JournalRecovery.status(of: decoded.records) {
                if allowUnfinishedRevert { continue }
                throw SindriError(.rollbackFailed, "the rollback of restore \(stored.header?.transactionID ?? stored.name) was interrupted and the home is partially rolled back: run sindri rollback to finish it first")
            }
            let journal = try JournalFile(home: home, existing: stored.name)
            let staging = stored.header.flatMap { try? StagingArea(homeDescriptor: home, existingIdentifier: $0.transactionID) }
            let runner = TransactionRunner(home: home, journal: journal, staging: staging)
            switch try runner.recover(decoded) {
            case .nothingToRecover, .committed, .commitUncertain:
                continue
            case .rolledBack:
                staging?.remove()
                left += runner.leftInPlace
                if runner.rolledBackNow, let header = stored.header {
                    notes.append("an interrupted restore (\(header.transactionID)) was found and rolled back first")
                }
            case .journalUnusable(let reason):
                throw SindriError(.rollbackFailed, "the journal \(JournalFile.directory)/\(stored.name) is inconsistent (\(reason)); nothing was changed: inspect it and the snapshots in \(RestoreSnapshot.directory)")
            case .rollbackFailed(let failures):
                throw SindriError(.rollbackFailed, "rollback incomplete: \(UndoFailure.summary(failures))")
            }
        }
        if removeOrphans(home: home) > 0, notes.isEmpty {
            notes.append("an interrupted restore had not changed the home yet; its leftovers in \(TOOL_STATE_DIRECTORY) were removed")
        }
        if !left.isEmpty { notes.append(RestoreRecovery.leftNote(left)) }
        return notes.isEmpty ? nil : notes.joined(separator: "; ")
    }

    /// The note for directories a rollback left because the user put files into them meanwhile.
    static func leftNote(_ paths: [String]) -> String {
        "left in place because they hold files created during the restore: \(paths.prefix(5).joined(separator: ", "))\(paths.count > 5 ? " and \(paths.count - 5) more" : "")"
    }

    /// Removes what a run killed before its journal began leaves behind: a `txn-<id>` directory
    /// with staged copies, a half-written snapshot, a rollback's temporary files. Only called
    /// with the home's lock held, so no other run is using them.
    @discardableResult
    static func removeOrphans(home: Int32) -> Int {
        guard let toolDirectory = try? FileOpener.openBeneath(home, TOOL_STATE_DIRECTORY, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) else { return 0 }
        defer { close(toolDirectory) }
        // A txn directory whose journal exists belongs to a finished (committed or rolled back)
        // transaction whose cleanup was cut short; one without a journal to a run killed before it
        // changed anything. Only the latter counts as an interrupted restore.
        let journaled = Set(((try? JournalFile.stored(home: home, includingUndone: true)) ?? []).compactMap { item -> String? in
            item.header.map { "txn-" + $0.transactionID }
        })
        var removed = 0
        for name in DirectoryListing.names(toolDirectory) where name.hasPrefix("txn-") {
            FileTree.removeTree(toolDirectory, name)
            if !journaled.contains(name) { removed += 1 }
        }
        if let snapshots = try? FileOpener.openBeneath(home, RestoreSnapshot.directory, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) {
            defer { close(snapshots) }
            for name in DirectoryListing.names(snapshots) where name.hasPrefix(".") && name.hasSuffix(".tmp") {
                // Best effort: a half-written snapshot nobody refers to; the next run tries again.
                if unlinkat(snapshots, name, 0) != 0 { continue }
            }
        }
        return removed
    }

    /// Carries out one undo operation of an uncommitted transaction. Returns the path when a
    /// directory the restore created was left in place because files were created in it during
    /// the restore (they are the user's: never deleted).
    @discardableResult
    static func perform(_ operation: UndoOperation, home: Int32, staging: StagingArea?) throws -> String? {
        switch operation.decide({ presence(of: $0, home: home, staging: staging) }) {
        case .alreadyUndone:
            return nil
        case .cannotUndo(let why):
            throw SindriError(.rollbackFailed, why)
        case .perform:
            break
        }
        switch operation {
        case .removeIfPresent(let path, _):
            let (parent, name) = try locate(path, home: home)
            defer { close(parent) }
            try withCPath(name) { try unlinkOpeningUp(parent, $0, flags: 0) }
        case .removeEmptyDirectory(let path, _):
            let (parent, name) = try locate(path, home: home)
            defer { close(parent) }
            do {
                try withCPath(name) { try unlinkOpeningUp(parent, $0, flags: AT_REMOVEDIR) }
            } catch let failure as Syscalls.Failure where failure.errno == ENOTEMPTY || failure.errno == EEXIST {
                return PathBytes.display(path)
            }
        case .renameBack(let from, let to):
            let (toParent, toName) = try locate(to, home: home)
            defer { close(toParent) }
            let (fromParent, fromName, owned) = try locate(from, home: home, staging: staging)
            defer { if owned { close(fromParent) } }
            try withCPath(fromName) { source in
                try withCPath(toName) { target in
                    guard sindri_rename_noreplace(fromParent, source, toParent, target) == 0 else {
                        throw Syscalls.Failure(operation: "renameat2", errno: sindri_errno())
                    }
                }
            }
        case .restoreAttributes(let path, let attributes, _):
            do { try restoreAttributes(attributes, at: path, home: home) } catch let failure as Syscalls.Failure {
                throw failure.error(path: PathBytes.display(path))
            }
        case .extractFromSnapshot(let path):
            throw SindriError(.rollbackFailed, "\(PathBytes.display(path)): an uncommitted restore has no snapshot extraction to undo")
        }
        return nil
    }

    /// `unlinkat`, and for a non-root user whose own directory is read-only (a directory the
    /// restore created with mode 0555, say), the same after making that directory writable: it
    /// is about to be removed, or its recorded mode is set again later in the rollback.
    private static func unlinkOpeningUp(_ parent: Int32, _ name: UnsafePointer<CChar>, flags: Int32) throws {
        do {
            try Syscalls.unlinkAt(parent, name, flags: flags)
        } catch let failure as Syscalls.Failure where (failure.errno == EACCES || failure.errno == EPERM) && geteuid() != 0 {
            let info = try Syscalls.fileStatus(parent)
            guard info.st_mode & 0o200 == 0, info.st_uid == geteuid() else { throw failure }
            guard fchmod(parent, (info.st_mode & 0o7777) | 0o700) == 0 else { throw Syscalls.Failure(operation: "fchmod", errno: sindri_errno()) }
            try Syscalls.unlinkAt(parent, name, flags: flags)
        }
    }

    /// Gives `path` (the home itself when empty) the recorded mode, owner and mtime, calling only
    /// what differs: an entry whose attributes are already right is not touched, so an immutable
    /// file the restore never changed does not turn its rollback into a failure. Never follows a
    /// symlink. An absent path is left alone (the directory was the restore's and is gone).
    static func restoreAttributes(_ attributes: FileAttributes, at path: [UInt8], home: Int32) throws {
        func needsChange(_ info: stat) -> (owner: Bool, mode: Bool, time: Bool) {
            (geteuid() == 0 && (info.st_uid != attributes.uid || info.st_gid != attributes.gid),
             !((info.st_mode & S_IFMT) == S_IFLNK) && UInt32(info.st_mode) & 0o7777 != attributes.mode,
             Int64(info.st_mtim.tv_sec) != attributes.mtimeSeconds || UInt32(info.st_mtim.tv_nsec) != attributes.mtimeNanoseconds)
        }
        var times = [timespec(tv_sec: Int(attributes.mtimeSeconds), tv_nsec: Int(attributes.mtimeNanoseconds)),
                     timespec(tv_sec: Int(attributes.mtimeSeconds), tv_nsec: Int(attributes.mtimeNanoseconds))]
        // Keep the access time as it is.
        times[0].tv_nsec = (1 << 30) - 2  // UTIME_OMIT
        if path.isEmpty {
            let info = try Syscalls.fileStatus(home)
            let change = needsChange(info)
            if change.owner { guard fchown(home, attributes.uid, attributes.gid) == 0 else { throw Syscalls.Failure(operation: "fchown", errno: sindri_errno()) } }
            if change.mode { guard fchmod(home, mode_t(attributes.mode)) == 0 else { throw Syscalls.Failure(operation: "fchmod", errno: sindri_errno()) } }
            if change.time { guard futimens(home, &times) == 0 else { throw Syscalls.Failure(operation: "futimens", errno: sindri_errno()) } }
            return
        }
        let (parent, name) = try locate(path, home: home)
        defer { close(parent) }
        try withCPath(name) { entry in
            let info: stat
            do { info = try Syscalls.lstatAt(parent, entry) } catch let failure as Syscalls.Failure where failure.errno == ENOENT { return }
            let change = needsChange(info)
            if change.owner {
                guard fchownat(parent, entry, attributes.uid, attributes.gid, AT_SYMLINK_NOFOLLOW) == 0 else { throw Syscalls.Failure(operation: "fchownat", errno: sindri_errno()) }
            }
            if change.mode {
                if ((info.st_mode & S_IFMT) == S_IFDIR) {
                    // Through a descriptor: a directory swapped for a symlink is refused, not followed.
                    let fd = try Syscalls.openAt(parent, entry, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
                    defer { close(fd) }
                    guard fchmod(fd, mode_t(attributes.mode)) == 0 else { throw Syscalls.Failure(operation: "fchmod", errno: sindri_errno()) }
                } else {
                    guard fchmodat(parent, entry, mode_t(attributes.mode), 0) == 0 else { throw Syscalls.Failure(operation: "fchmodat", errno: sindri_errno()) }
                }
            }
            if change.time {
                guard utimensat(parent, entry, &times, AT_SYMLINK_NOFOLLOW) == 0 else { throw Syscalls.Failure(operation: "utimensat", errno: sindri_errno()) }
            }
        }
    }

    /// `lstat` of a journal location, as the undo decisions need it.
    static func presence(of location: JournalLocation, home: Int32, staging: StagingArea?) -> EntryPresence {
        let info: stat?
        switch location {
        case .home(let path):
            if path.isEmpty { return .directory }
            var cache = DirectoryCache(homeDescriptor: home)
            defer { cache.closeAll() }
            switch cache.state(of: path) {
            case .missing, .blocked: return .absent
            case .directory: return .directory
            default: return .nonDirectory
            }
        case .aside(let name):
            guard let staging else { return .absent }
            info = try? withCPath(name) { try Syscalls.lstatAt(staging.asideDescriptor, $0) }
        case .staging(let name):
            guard let staging else { return .absent }
            let entry = staging.locate(name)
            info = try? withCPath(entry.name) { try Syscalls.lstatAt(entry.directory, $0) }
        }
        guard let info else { return .absent }
        return ((info.st_mode & S_IFMT) == S_IFDIR) ? .directory : .nonDirectory
    }

    /// The parent descriptor (owned by the caller) and last name of a home path.
    private static func locate(_ path: [UInt8], home: Int32) throws -> (Int32, [UInt8]) {
        let parent = MemberPath.parent(path)
        let fd: Int32 = parent.isEmpty
            ? dup(home)
            : try withCPath(parent) { try FileOpener.openBeneath(home, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) }
        guard fd >= 0 else { throw Syscalls.Failure(operation: "dup", errno: sindri_errno()) }
        return (fd, MemberPath.name(path))
    }

    private static func locate(_ location: JournalLocation, home: Int32, staging: StagingArea?) throws -> (Int32, [UInt8], Bool) {
        switch location {
        case .home(let path):
            let (fd, name) = try locate(path, home: home)
            return (fd, name, true)
        case .aside(let name):
            guard let staging else { throw SindriError(.rollbackFailed, "the transaction's aside directory is gone") }
            return (staging.asideDescriptor, name, false)
        case .staging(let name):
            guard let staging else { throw SindriError(.rollbackFailed, "the transaction's staging directory is gone") }
            let entry = staging.locate(name)
            return (entry.directory, entry.name, false)
        }
    }

    // MARK: - Completed restores

    /// Whether a restore or rollback holds the home's lock right now. Opens the lock file
    /// read-only and never creates it: a query writes nothing.
    static func isBusy(home: Int32) -> Bool {
        guard let fd = try? FileOpener.openBeneath(home, "\(TOOL_STATE_DIRECTORY)/lock", O_RDONLY | O_NOFOLLOW) else { return false }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return false
        }
        return true
    }

    static func snapshots(home: Int32) -> [RestoreSnapshotInfo] {
        var result: [RestoreSnapshotInfo] = []
        let busy = isBusy(home: home)
        for stored in (try? JournalFile.stored(home: home, includingUndone: true)) ?? [] {
            guard let header = stored.header else { continue }
            let name = stored.name
            let decoded = stored.finishedStatus == nil ? try? stored.decode() : nil
            let history = decoded.flatMap { try? JournalHistory.read($0.records).get() }
            let status = stored.finishedStatus ?? history?.status
            var label = status?.label ?? "inconsistent"
            if name.hasSuffix(".undone") { label = "rolled back" }
            if busy, let status, !status.isFinal {
                if case .reverting = status { label = "rolling back" } else { label = "restoring" }
            }
            let path = RestoreSnapshot.directory + "/" + header.snapshotName
            let info = try? Syscalls.lstatAt(home, path)
            let paths = history.map { $0.steps.filter { step in
                switch step {
                case .placeNew, .replace, .createDirectory: true
                default: false
                }
            }.count } ?? JournalCodec.countIntents(stored.bytes)
            result.append(RestoreSnapshotInfo(
                identifier: header.transactionID, path: path, createdAt: Date(timeIntervalSince1970: TimeInterval(header.createdAt)),
                sizeBytes: info.map { UInt64($0.st_size) } ?? 0, status: label, archive: header.archive, pathCount: paths))
        }
        return result
    }

    /// The journal `sindri rollback` acts on: the one named by `identifier` (its transaction id
    /// exactly, or an unambiguous prefix of it), else an unfinished rollback, else the most
    /// recent committed restore. Nil when there is nothing to roll back.
    static func target(home: Int32, identifier: String?) throws -> JournalFile.Stored? {
        var candidates: [(stored: JournalFile.Stored, status: JournalStatus)] = []
        for stored in try JournalFile.stored(home: home) {
            guard stored.header != nil, let status = stored.status() else { continue }
            switch status {
            case .committed, .reverting: candidates.append((stored, status))
            default: break
            }
        }
        let unfinished = candidates.last { if case .reverting = $0.status { return true } else { return false } }
        guard let identifier else { return unfinished?.stored ?? candidates.last?.stored }
        let everything = (try JournalFile.stored(home: home, includingUndone: true)).compactMap(\.header?.transactionID)
        let matches = everything.filter { $0 == identifier }.isEmpty ? everything.filter { $0.hasPrefix(identifier) } : [identifier]
        guard !matches.isEmpty, !identifier.isEmpty else {
            throw SindriError(.invalidArgument, "no restore with snapshot id \(identifier) (see sindri rollback --list)")
        }
        guard Set(matches).count == 1, let id = matches.first else {
            throw SindriError(.invalidArgument, "snapshot id \(identifier) is ambiguous: it matches \(matches.prefix(5).joined(separator: ", ")); give more of it")
        }
        guard let found = candidates.first(where: { $0.stored.header?.transactionID == id }) else {
            throw SindriError(.invalidArgument, "restore \(id) has no completed restore left to roll back (see sindri rollback --list)")
        }
        if let unfinished, unfinished.stored.name != found.stored.name {
            throw SindriError(.invalidArgument, "the rollback of restore \(unfinished.stored.header?.transactionID ?? "?") is unfinished: run sindri rollback to finish it first")
        }
        return found.stored
    }

    /// Undoes the unfinished restore if there is one, else finishes an interrupted rollback, else
    /// rolls back the most recent completed restore (or the one named by `identifier`), three-way
    /// (see ``CompletedRollbackPlan``). With `dryRun`, reports what it would do and writes nothing.
    /// `confirm` sees the preview first and may cancel.
    static func rollback(home: Int32, identifier: String?, dryRun: Bool, interruptible: Bool,
                         confirm: ((RollbackReport) -> Bool)?, progress: ((Int, Int, String) -> Void)?) throws -> RollbackReport {
        if identifier == nil {
            if dryRun {
                for stored in try JournalFile.stored(home: home) where stored.finishedStatus == nil {
                    guard let status = stored.status(), !status.isFinal else { continue }
                    if case .reverting = status { continue }
                    var report = RollbackReport()
                    report.dryRun = true
                    report.note = "an interrupted restore (\(stored.header?.transactionID ?? stored.name)) would be rolled back"
                    return report
                }
            } else if let note = try recoverUnfinished(home: home, allowUnfinishedRevert: true) {
                var report = RollbackReport()
                report.note = note
                return report
            }
        }
        guard let target = try target(home: home, identifier: identifier) else {
            var report = RollbackReport()
            report.dryRun = dryRun
            report.note = "nothing to roll back: no completed restore remains to be undone in this home"
            return report
        }
        let decoded = try target.decode()
        let plan: CompletedRollbackPlan
        let status: JournalStatus
        do { (plan, status) = try JournalRecovery.completedRollback(records: decoded.records) } catch {
            throw SindriError(.rollbackFailed, "the journal \(JournalFile.directory)/\(target.name) cannot be used: \(error); nothing was changed")
        }
        let snapshot = RestoreSnapshot.directory + "/" + plan.header.snapshotName
        if !plan.returns.isEmpty, (try? Syscalls.lstatAt(home, snapshot)) == nil {
            throw SindriError(.rollbackFailed, "the snapshot \(snapshot) of restore \(plan.header.transactionID) is missing; nothing was changed")
        }
        var cleared = false
        if case .reverting(let value) = status { cleared = value }
        if dryRun || confirm != nil {
            let preview = CompletedRollback(home: home, plan: plan, interruptible: false).preview(cleared: cleared)
            if dryRun { return preview }
            if let confirm, !confirm(preview) { throw SindriError(.cancelled, "rollback cancelled; nothing was changed") }
        }
        let journal = try JournalFile(home: home, existing: target.name)
        if decoded.tornTail != nil { try journal.truncate(to: decoded.validByteCount) }
        let runner = CompletedRollback(home: home, plan: plan, interruptible: interruptible)
        runner.progress = progress
        return try runner.run(journal: journal, status: status)
    }

    /// Keeps the newest `keep` (at least one) finished restores' snapshots and journals; removes
    /// older ones. Never removes `current` (the restore that just ran, whatever the order of ids
    /// made in the same second) nor an unfinished one (a rollback in progress still needs its
    /// snapshot). Returns why a removal failed, if one did: pruning is housekeeping, and a failure
    /// leaves a snapshot more, never one less.
    @discardableResult
    static func prune(home: Int32, keep: Int, current: String? = nil) -> [String] {
        guard let journals = try? JournalFile.stored(home: home, includingUndone: true) else { return [] }
        let finished = journals.filter { $0.status()?.isFinal == true && $0.header?.transactionID != current }
        let allowed = max(1, keep) - (current == nil ? 0 : 1)
        guard finished.count > allowed else { return [] }
        guard let journalDirectory = try? FileOpener.openBeneath(home, JournalFile.directory, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) else { return [] }
        defer { close(journalDirectory) }
        let snapshotDirectory = try? FileOpener.openBeneath(home, RestoreSnapshot.directory, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
        defer { if let snapshotDirectory { close(snapshotDirectory) } }
        var problems: [String] = []
        for item in finished.prefix(finished.count - allowed) {
            if let header = item.header, let snapshotDirectory, unlinkat(snapshotDirectory, header.snapshotName, 0) != 0, sindri_errno() != ENOENT {
                problems.append("\(RestoreSnapshot.directory)/\(header.snapshotName): \(String(cString: strerror(sindri_errno())))")
                continue
            }
            if unlinkat(journalDirectory, item.name, 0) != 0 {
                problems.append("\(JournalFile.directory)/\(item.name): \(String(cString: strerror(sindri_errno())))")
            }
        }
        return problems
    }
}
