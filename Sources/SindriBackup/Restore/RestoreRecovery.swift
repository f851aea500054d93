import CSindriSystem
import Foundation
import SindriArchive
#if canImport(Glibc)
import Glibc
#endif

/// Carries out the journal's undo plans on the real file system: automatic rollback after a
/// failed apply, recovery of a restore interrupted by a crash, and `sindri rollback` of the most
/// recent completed restore. The decisions are `JournalRecovery`'s (pure, unit-tested); this type
/// only looks at the disk (`lstat`, never following links) and makes the calls.
enum RestoreRecovery {
    /// Before anything else: finds an unfinished transaction in the home's journals and rolls it
    /// back (through `RestoreTransaction.recover`). Returns a note for the user when it did.
    static func recoverUnfinished(home: Int32) throws -> String? {
        var notes: [String] = []
        // Finished journals say so on their last line; only the others are decoded whole.
        for stored in try JournalFile.stored(home: home) where stored.finishedStatus == nil {
            let decoded = try stored.decode()
            let journal = try JournalFile(home: home, existing: stored.name)
            let staging = stored.header.flatMap { try? StagingArea(homeDescriptor: home, existingIdentifier: $0.transactionID) }
            let runner = TransactionRunner(home: home, journal: journal, staging: staging)
            switch try runner.recover(decoded) {
            case .nothingToRecover, .committed, .commitUncertain:
                continue
            case .rolledBack:
                staging?.remove()
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
        return notes.isEmpty ? nil : notes.joined(separator: "; ")
    }

    /// Removes what a run killed before its journal began leaves behind: a `txn-<id>` directory
    /// with staged copies, a half-written snapshot. Only called with the home's lock held, so no
    /// other run is using them.
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
                _ = unlinkat(snapshots, name, 0)
            }
        }
        return removed
    }

    static func perform(_ operation: UndoOperation, home: Int32, staging: StagingArea?, snapshot: String?) throws {
        switch operation.decide({ presence(of: $0, home: home, staging: staging) }) {
        case .alreadyUndone:
            return
        case .cannotUndo(let why):
            throw SindriError(.rollbackFailed, why)
        case .perform:
            break
        }
        switch operation {
        case .removeIfPresent(let path, _):
            let (parent, name) = try locate(path, home: home)
            defer { close(parent) }
            try withCPath(name) { try Syscalls.unlinkAt(parent, $0) }
        case .removeEmptyDirectory(let path, _):
            let (parent, name) = try locate(path, home: home)
            defer { close(parent) }
            try withCPath(name) { try Syscalls.unlinkAt(parent, $0, flags: AT_REMOVEDIR) }
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
            let (parent, name) = try locate(path, home: home)
            defer { close(parent) }
            // A failure here is an undo failure: the rollback goes on and reports it.
            try withCPath(name) { entry in
                if geteuid() == 0 { _ = fchownat(parent, entry, attributes.uid, attributes.gid, AT_SYMLINK_NOFOLLOW) }
                // fchmodat follows symlinks: never chmod through one (it could point outside the home).
                if let info = try? Syscalls.lstatAt(parent, entry), !info.isSymlink {
                    guard fchmodat(parent, entry, mode_t(attributes.mode & 0o7777), 0) == 0 else {
                        throw Syscalls.Failure(operation: "fchmodat", errno: sindri_errno()).error(path: PathBytes.display(path))
                    }
                }
                var times = [timespec(tv_sec: Int(attributes.mtimeSeconds), tv_nsec: Int(attributes.mtimeNanoseconds)),
                             timespec(tv_sec: Int(attributes.mtimeSeconds), tv_nsec: Int(attributes.mtimeNanoseconds))]
                guard utimensat(parent, entry, &times, AT_SYMLINK_NOFOLLOW) == 0 else {
                    throw Syscalls.Failure(operation: "utimensat", errno: sindri_errno()).error(path: PathBytes.display(path))
                }
            }
        case .extractFromSnapshot(let path):
            guard let snapshot else { throw SindriError(.rollbackFailed, "no snapshot to restore \(PathBytes.display(path)) from") }
            try RestoreSnapshot.extract(home: home, snapshot: snapshot, paths: [path])
        }
    }

    /// `lstat` of a journal location, as the undo decisions need it.
    static func presence(of location: JournalLocation, home: Int32, staging: StagingArea?) -> EntryPresence {
        let info: stat?
        switch location {
        case .home(let path):
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
        return info.isDirectory ? .directory : .nonDirectory
    }

    /// The parent descriptor (owned by the caller) and last name of a home path.
    private static func locate(_ path: [UInt8], home: Int32) throws -> (Int32, [UInt8]) {
        let parent = MemberPath.parent(path)
        let fd: Int32 = parent.isEmpty
            ? dup(home)
            : try withCPath(parent) { try FileOpener.openBeneath(home, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) }
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

    static func snapshots(home: Int32) -> [RestoreSnapshotInfo] {
        var result: [RestoreSnapshotInfo] = []
        for stored in (try? JournalFile.stored(home: home, includingUndone: true)) ?? [] {
            guard let header = stored.header else { continue }
            let name = stored.name
            let status = stored.status().map { "\($0)" } ?? "inconsistent"
            let path = RestoreSnapshot.directory + "/" + header.snapshotName
            let info = try? Syscalls.lstatAt(home, path)
            result.append(RestoreSnapshotInfo(
                identifier: header.transactionID, path: path, createdAt: Date(timeIntervalSince1970: TimeInterval(header.createdAt)),
                sizeBytes: info.map { UInt64($0.st_size) } ?? 0, status: name.hasSuffix(".undone") ? "rolled back by sindri rollback" : status))
        }
        return result
    }

    /// Undoes the unfinished restore if there is one, else the most recent completed one (or the
    /// one named by `identifier`). Returns a description of what was undone.
    static func rollback(home: Int32, identifier: String?) throws -> String {
        if identifier == nil, let note = try recoverUnfinished(home: home) { return note }
        let candidates = try JournalFile.stored(home: home).filter { item in
            guard let header = item.header, item.status() == .committed else { return false }
            guard let identifier else { return true }
            return header.transactionID == identifier || header.snapshotName.contains(identifier)
        }
        guard let target = candidates.last else {
            if let identifier { throw SindriError(.invalidArgument, "no completed restore with snapshot id \(identifier)") }
            return "nothing to roll back: no completed restore remains to be undone in this home"
        }
        let undo: CompletedRestoreUndo
        do { undo = try JournalRecovery.undoCompleted(records: try target.decode().records) } catch {
            throw SindriError(.rollbackFailed, "\(error)")
        }
        let snapshot = RestoreSnapshot.directory + "/" + undo.header.snapshotName
        var failures: [String] = []
        for operation in undo.operations {
            // Safe to stop between two operations: each checks the disk first, the journal still
            // says committed, and the next rollback runs them all again.
            TestPause.here("rollback")
            try Interruption.checkpoint()
            do { try perform(operation, home: home, staging: nil, snapshot: snapshot) } catch {
                failures.append("\(PathBytes.display(operation.path)): \(error)")
            }
        }
        _ = sindri_syncfs(home)
        guard failures.isEmpty else {
            throw SindriError(.rollbackFailed, "rollback incomplete: \(failures.prefix(3).joined(separator: "; ")); the originals are in \(snapshot)")
        }
        // Mark the journal as undone so the next rollback goes one restore further back.
        let directory = try FileOpener.openBeneath(home, JournalFile.directory, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
        defer { close(directory) }
        _ = renameat(directory, target.name, directory, target.name + ".undone")
        _ = fsync(directory)
        return "restore \(undo.header.transactionID) of \(undo.header.archive) rolled back (\(undo.operations.count) operations, snapshot \(snapshot))"
    }

    /// Keeps the newest `keep` completed restores' snapshots and journals; removes older ones.
    static func prune(home: Int32, keep: Int) {
        guard let journals = try? JournalFile.stored(home: home, includingUndone: true) else { return }
        let finished = journals.filter { $0.status()?.isFinal == true }
        guard finished.count > keep else { return }
        guard let journalDirectory = try? FileOpener.openBeneath(home, JournalFile.directory, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) else { return }
        defer { close(journalDirectory) }
        let snapshotDirectory = try? FileOpener.openBeneath(home, RestoreSnapshot.directory, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
        defer { if let snapshotDirectory { close(snapshotDirectory) } }
        for item in finished.dropLast(keep) {
            if let header = item.header, let snapshotDirectory {
                _ = unlinkat(snapshotDirectory, header.snapshotName, 0)
            }
            _ = unlinkat(journalDirectory, item.name, 0)
        }
    }
}

/// One restore or rollback at a time per home: an exclusive `flock` on `<home>/.sindri/lock`.
/// The kernel drops the lock when its process dies, so a lock left by a killed run is never
/// stale: the file may remain, the lock does not.
final class HomeLock {
    private let home: Int32
    private let descriptor: Int32
    /// Whether `.sindri` did not exist before this run.
    let createdToolDirectory: Bool

    private init(home: Int32, descriptor: Int32, createdToolDirectory: Bool) {
        self.home = home
        self.descriptor = descriptor
        self.createdToolDirectory = createdToolDirectory
    }

    static func acquire(home: Int32) throws -> HomeLock {
        let created = try ToolState.ensureDirectory(home)
        let path = "\(TOOL_STATE_DIRECTORY)/lock"
        let fd: Int32
        do { fd = try FileOpener.openBeneath(home, path, O_RDWR | O_CREAT | O_NOFOLLOW, mode: 0o600) } catch let failure as Syscalls.Failure {
            throw failure.error(path: path)
        }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            close(fd)
            throw SindriError(.locked, "another sindri restore or rollback is running on this home; try again when it has finished")
        }
        return HomeLock(home: home, descriptor: fd, createdToolDirectory: created)
    }

    /// After a refused restore: if this run created `.sindri` only for its lock, remove both, so
    /// the home is exactly as it was.
    func removeToolDirectoryIfUnused() {
        guard createdToolDirectory else { return }
        _ = unlinkat(home, "\(TOOL_STATE_DIRECTORY)/lock", 0)
        _ = unlinkat(home, TOOL_STATE_DIRECTORY, AT_REMOVEDIR)
    }

    func release() {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
