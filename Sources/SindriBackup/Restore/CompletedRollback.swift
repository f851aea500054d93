import CSindriSystem
import Foundation
import SindriArchive
#if canImport(Glibc)
import Glibc
import SindriJournal
import SindriSystem
#endif

/// What `sindri rollback` did, or with `--dry-run` would do, path by path.
public struct RollbackReport: Sendable {
    /// An entry that was not the restore's any more, moved aside instead of deleted.
    public struct Kept: Sendable, Hashable {
        /// Where it was (home-relative, display form).
        public var path: String
        /// Where it is now.
        public var keptAs: String
    }

    public var transactionID: String = ""
    public var archive: String = ""
    /// The snapshot the originals came from (home-relative).
    public var snapshot: String = ""
    public var dryRun = false
    /// Entries the restore placed, still as placed: removed.
    public var undone: [String] = []
    /// Entries changed or created since the restore: moved aside, never deleted.
    public var kept: [Kept] = []
    /// Directories the restore created that now hold the user's files, and merge-mode `.bak`
    /// files changed since the restore: left where they are.
    public var left: [String] = []
    /// Originals put back (renamed from `.bak` or extracted from the snapshot).
    public var restored: [String] = []
    /// Set when the command finished something else instead (an interrupted restore).
    public var note: String?

    public init() {}

    /// One line for the user.
    public var message: String {
        if let note { return note }
        let verb = dryRun ? "would be rolled back" : "rolled back"
        var parts = ["\(undone.count) removed", "\(restored.count) originals restored"]
        if !kept.isEmpty { parts.append("\(kept.count) changed since the restore kept as *.sindri-kept-\(transactionID)") }
        if !left.isEmpty { parts.append("\(left.count) left in place") }
        return "restore \(transactionID) of \(archive) \(verb) (\(parts.joined(separator: ", ")); snapshot \(snapshot))"
    }
}

/// Carries out a ``CompletedRollbackPlan`` on the home: `sindri rollback` of a committed restore.
///
/// Phase 1 (clear) and phase 2 (return originals, one sequential pass over the snapshot) are each
/// safe to repeat; the journal says which phase was reached (`revertStarted`, `revertCleared`,
/// `reverted`, each after a `syncfs`), so a rollback stopped by a signal or killed is finished by
/// the next `sindri rollback` with the same result. Temporary files of the extraction live in
/// `<home>/.sindri/rollback-tmp/` (same filesystem as the home) and are renamed into place, so
/// none is ever left in the user's directories.
final class CompletedRollback {
    static let temporaryDirectory = "\(TOOL_STATE_DIRECTORY)/rollback-tmp"

    let home: Int32
    let plan: CompletedRollbackPlan
    let snapshot: String
    /// Whether loops stop at a signal (`sindri rollback`), leaving a state the next run finishes.
    let interruptible: Bool
    var progress: ((_ done: Int, _ total: Int, _ path: String) -> Void)?
    private var report = RollbackReport()
    private var lookups: DirectoryCache
    /// Paths phase 1 removes (or, in a preview, would remove): gone from their directories.
    private var removed = Set<[UInt8]>()
    /// Directories made writable to remove entries from (non-root), with their mode before.
    private var loosened: [[UInt8]: mode_t] = [:]
    private var done = 0
    /// `rollback-tmp/`, where ``discard(_:)`` parks removed entries until the end; -1 while not
    /// yet opened, -2 when it cannot be (then entries are unlinked at once).
    private var trash: Int32 = -1
    private var trashCount = 0
    private var total = 0

    init(home: Int32, plan: CompletedRollbackPlan, interruptible: Bool) {
        self.home = home
        self.plan = plan
        self.interruptible = interruptible
        snapshot = RestoreSnapshot.directory + "/" + plan.header.snapshotName
        lookups = DirectoryCache(homeDescriptor: home)
        report.transactionID = plan.header.transactionID
        report.archive = plan.header.archive
        report.snapshot = snapshot
        total = plan.clear.count + plan.returns.count + plan.attributes.count
    }

    deinit {
        lookups.closeAll()
        if trash >= 0 { close(trash) }
    }

    // MARK: - Preview

    /// What a rollback would do now, touching nothing.
    func preview(cleared: Bool) -> RollbackReport {
        report.dryRun = true
        if !cleared {
            for item in plan.clear {
                let decision = CompletedRollbackPlan.decide(item, observed: observe(item))
                record(decision, path: item.path, keptAs: decision == .keep ? freeKeptName(item.path) : nil)
                if decision == .remove { removed.insert(item.path) }
            }
        }
        for item in plan.returns {
            switch item {
            case .renameBackup(let backup, let path, let original):
                let present = cleared && exists(path)
                switch CompletedRollbackPlan.decideBackup(original: original, pathPresent: present, backupAttributes: attributes(of: backup)) {
                case .alreadyBack: break
                case .renameBack: report.restored.append(PathBytes.display(path))
                case .extract(let left):
                    report.restored.append(PathBytes.display(path))
                    if left { report.left.append(PathBytes.display(backup)) }
                }
            case .extract(let path):
                report.restored.append(PathBytes.display(path))
            }
        }
        return report
    }

    // MARK: - Running

    /// Runs the phases not yet done according to `status`, recording each in `journal`.
    func run(journal: JournalFile, status: JournalStatus) throws -> RollbackReport {
        var cleared = false
        if case .reverting(let value) = status { cleared = value }
        if status == .committed {
            journal.append(.revertStarted(reason: "sindri rollback"))
            try journal.flush(durable: true)
        }
        try removeTemporaryDirectory()
        if !cleared {
            try clearPhase()
            try syncHome("clearing the restored entries")
            journal.append(.revertCleared)
            try journal.flush(durable: true)
        }
        try returnPhase()
        try attributePhase()
        try removeTemporaryDirectory()
        try syncHome("restoring the originals")
        journal.append(.reverted)
        try journal.flush(durable: true)
        return report
    }

    private func syncHome(_ what: String) throws {
        guard sindri_syncfs(home) == 0 else {
            let reason = String(cString: strerror(sindri_errno()))
            throw SindriError(.rollbackFailed, "the rollback could not be made durable after \(what) (syncfs failed: \(reason)); the home may be partially rolled back: run sindri rollback again")
        }
    }

    private func tick(_ path: [UInt8]) throws {
        done += 1
        TestPause.here("rollback")
        // One atomic load: cheap enough per entry, and a stop request is seen at once.
        if interruptible { try Interruption.checkpoint() }
        if done % 256 == 0 { progress?(done, total, PathBytes.display(path)) }
    }

    private func record(_ decision: CompletedRollbackPlan.ClearDecision, path: [UInt8], keptAs: [UInt8]?) {
        switch decision {
        case .nothing: break
        case .remove: report.undone.append(PathBytes.display(path))
        case .keep: report.kept.append(.init(path: PathBytes.display(path), keptAs: PathBytes.display(keptAs ?? [])))
        case .leave: report.left.append(PathBytes.display(path))
        }
    }

    // MARK: Phase 1

    private func clearPhase() throws {
        for item in plan.clear {
            try tick(item.path)
            var decision = CompletedRollbackPlan.decide(item, observed: observe(item))
            var keptAs: [UInt8]?
            do {
                switch decision {
                case .nothing, .leave:
                    break
                case .remove:
                    if case .createdDirectory = item {
                        do { try unlink(item.path, directory: true) } catch let failure as Syscalls.Failure where failure.errno == ENOTEMPTY || failure.errno == EEXIST {
                            // Something appeared in it since it was looked at: the user's.
                            if case .createdDirectory(_, true) = item { decision = .keep; keptAs = try keepAside(item.path) } else { decision = .leave }
                        }
                    } else {
                        try discard(item.path)
                    }
                    if decision == .remove { removed.insert(item.path) }
                case .keep:
                    keptAs = try keepAside(item.path)
                }
            } catch let failure as Syscalls.Failure {
                throw failure.error(path: PathBytes.display(item.path))
            }
            record(decision, path: item.path, keptAs: keptAs)
        }
        // Directories opened up for the removals get their mode back when they stay.
        for (path, mode) in loosened {
            let (parent, problem) = lookups.parent(of: path)
            guard problem == nil, parent >= 0 else { continue }
            try withCPath(MemberPath.name(path)) { name in
                guard let info = try? Syscalls.lstatAt(parent, name), ((info.st_mode & S_IFMT) == S_IFDIR) else { return }
                let fd = try Syscalls.openAt(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
                defer { close(fd) }
                guard fchmod(fd, mode) == 0 else {
                    throw Syscalls.Failure(operation: "fchmod", errno: sindri_errno()).error(path: PathBytes.display(path))
                }
            }
        }
        loosened.removeAll()
    }

    /// What is at an item's path now.
    private func observe(_ item: CompletedRollbackPlan.ClearItem) -> CompletedRollbackPlan.Observation {
        let path = item.path
        let (parent, problem) = lookups.parent(of: path)
        guard problem == nil, parent >= 0 else { return .absent }
        let name = MemberPath.name(path)
        guard let info = try? withCPath(name, { try Syscalls.lstatAt(parent, $0) }) else { return .absent }
        if ((info.st_mode & S_IFMT) == S_IFDIR) { return .directory(empty: isEmptyAfterClearing(parent: parent, path: path)) }
        var current = EntryFingerprint(
            kind: ((info.st_mode & S_IFMT) == S_IFREG) ? .file : ((info.st_mode & S_IFMT) == S_IFLNK) ? .symlink : .other, size: UInt64(info.st_size),
            mtimeSeconds: Int64(info.st_mtim.tv_sec), mtimeNanoseconds: UInt32(info.st_mtim.tv_nsec), mode: UInt32(info.st_mode) & 0o7777)
        if ((info.st_mode & S_IFMT) == S_IFLNK) { current.linkTarget = try? withCPath(name) { try Syscalls.readLinkAt(parent, $0) } }
        // The content is read only when everything else matches: an edit that kept size and
        // mtime is still found, and a changed file costs no read.
        if case .placed(_, let placed?, _) = item, placed.sha256 != nil, ((info.st_mode & S_IFMT) == S_IFREG), placed.sameMetadata(as: current) {
            current.sha256 = try? withCPath(name) { entry in
                let fd = try Syscalls.openAt(parent, entry, O_RDONLY | O_NOFOLLOW)
                defer { close(fd) }
                return FileDigest.hex(try FileDigest.sha256(of: fd))
            }
        }
        return .entry(current)
    }

    private func isEmptyAfterClearing(parent: Int32, path: [UInt8]) -> Bool {
        guard let fd = try? withCPath(MemberPath.name(path), { try Syscalls.openAt(parent, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) }) else { return false }
        defer { close(fd) }
        for name in DirectoryListing.names(fd) where !removed.contains(path + [UInt8(ascii: "/")] + Array(name.utf8)) {
            return false
        }
        return true
    }

    private func unlink(_ path: [UInt8], directory: Bool) throws {
        let (parent, problem) = lookups.parent(of: path)
        if let problem { throw SindriError(.rollbackFailed, "\(PathBytes.display(path)): \(problem)") }
        guard parent >= 0 else { return }
        try withCPath(MemberPath.name(path)) { name in
            do {
                try Syscalls.unlinkAt(parent, name, flags: directory ? AT_REMOVEDIR : 0)
            } catch let failure as Syscalls.Failure where failure.errno == ENOENT {
                return
            } catch let failure as Syscalls.Failure where (failure.errno == EACCES || failure.errno == EPERM) && geteuid() != 0 {
                // A read-only directory (restored with mode 0555, say) blocks removing its
                // entries for anyone but root: open it up, and give its mode back afterwards.
                let info = try Syscalls.fileStatus(parent)
                guard info.st_mode & 0o200 == 0, info.st_uid == geteuid() else { throw failure }
                if loosened[MemberPath.parent(path)] == nil { loosened[MemberPath.parent(path)] = info.st_mode & 0o7777 }
                guard fchmod(parent, (info.st_mode & 0o7777) | 0o700) == 0 else { throw Syscalls.Failure(operation: "fchmod", errno: sindri_errno()) }
                try Syscalls.unlinkAt(parent, name, flags: directory ? AT_REMOVEDIR : 0)
            }
        }
    }

    /// Moves what is at `path` to a free `NAME.sindri-kept-<id>` beside it (`RENAME_NOREPLACE`:
    /// never over anything); returns the new path.
    private func keepAside(_ path: [UInt8]) throws -> [UInt8] {
        let (parent, problem) = lookups.parent(of: path)
        if let problem { throw SindriError(.rollbackFailed, "\(PathBytes.display(path)): \(problem)") }
        guard parent >= 0 else { throw SindriError(.rollbackFailed, "\(PathBytes.display(path)): its directory is missing") }
        let name = MemberPath.name(path)
        var attempt = 1
        while true {
            let kept = CompletedRollbackPlan.keptName(for: name, identifier: plan.header.transactionID, attempt: attempt)
            let result = withCPath(name) { source in withCPath(kept) { sindri_rename_noreplace(parent, source, parent, $0) } }
            if result == 0 { return MemberPath.parent(path).isEmpty ? kept : MemberPath.parent(path) + [UInt8(ascii: "/")] + kept }
            let code = sindri_errno()
            guard code == EEXIST, attempt < 10_000 else { throw Syscalls.Failure(operation: "renameat2", errno: code) }
            attempt += 1
        }
    }

    /// The kept name a preview reports: the first that is free now.
    private func freeKeptName(_ path: [UInt8]) -> [UInt8] {
        let (parent, _) = lookups.parent(of: path)
        var attempt = 1
        while true {
            let kept = CompletedRollbackPlan.keptName(for: MemberPath.name(path), identifier: plan.header.transactionID, attempt: attempt)
            let full = MemberPath.parent(path).isEmpty ? kept : MemberPath.parent(path) + [UInt8(ascii: "/")] + kept
            if parent < 0 || attempt >= 10_000 || (try? withCPath(kept, { try Syscalls.lstatAt(parent, $0) })) == nil { return full }
            attempt += 1
        }
    }

    private func exists(_ path: [UInt8]) -> Bool {
        let (parent, problem) = lookups.parent(of: path)
        guard problem == nil, parent >= 0 else { return false }
        return (try? withCPath(MemberPath.name(path), { try Syscalls.lstatAt(parent, $0) })) != nil
    }

    private func attributes(of path: [UInt8]) -> FileAttributes? {
        let (parent, problem) = lookups.parent(of: path)
        guard problem == nil, parent >= 0,
              let info = try? withCPath(MemberPath.name(path), { try Syscalls.lstatAt(parent, $0) }) else { return nil }
        return FileAttributes(mode: UInt32(info.st_mode) & 0o7777, uid: info.st_uid, gid: info.st_gid,
                              mtimeSeconds: Int64(info.st_mtim.tv_sec), mtimeNanoseconds: UInt32(info.st_mtim.tv_nsec))
    }

    // MARK: Phase 2

    private func returnPhase() throws {
        var wanted = Set<[UInt8]>()
        for item in plan.returns {
            try tick(item.path)
            switch item {
            case .renameBackup(let backup, let path, let original):
                switch CompletedRollbackPlan.decideBackup(original: original, pathPresent: exists(path), backupAttributes: attributes(of: backup)) {
                case .alreadyBack:
                    report.restored.append(PathBytes.display(path))
                case .renameBack:
                    let (from, fromProblem) = lookups.parent(of: backup)
                    guard fromProblem == nil, from >= 0 else { wanted.insert(path); continue }
                    let fromDup = dup(from)
                    defer { close(fromDup) }
                    let (to, toProblem) = lookups.parent(of: path)
                    if let toProblem { throw SindriError(.rollbackFailed, "\(PathBytes.display(path)): \(toProblem)") }
                    let result = withCPath(MemberPath.name(backup)) { source in
                        withCPath(MemberPath.name(path)) { sindri_rename_noreplace(fromDup, source, to, $0) }
                    }
                    guard result == 0 else {
                        throw Syscalls.Failure(operation: "renameat2", errno: sindri_errno()).error(path: PathBytes.display(backup))
                    }
                    report.restored.append(PathBytes.display(path))
                case .extract(let left):
                    wanted.insert(path)
                    report.restored.append(PathBytes.display(path))
                    if left { report.left.append(PathBytes.display(backup)) }
                }
            case .extract(let path):
                wanted.insert(path)
                report.restored.append(PathBytes.display(path))
            }
        }
        guard !wanted.isEmpty else { return }
        lookups.closeAll()
        try RestoreSnapshot.extract(home: home, snapshot: snapshot, paths: wanted, temporaryDirectory: Self.temporaryDirectory,
                                    interruptible: interruptible) { [weak self] count, path in
            guard let self else { return }
            self.progress?(self.done + count, self.total, path)
        }
    }

    private func removeTemporaryDirectory() throws {
        if trash >= 0 {
            close(trash)
            trash = -1
        }
        // Through `.sindri`'s descriptor, never by a path through it (it could be a symlink by now).
        guard let tool = try? ToolState.open(home, create: false) else { return }
        defer { close(tool.descriptor) }
        let name = (Self.temporaryDirectory as NSString).lastPathComponent
        guard (try? Syscalls.lstatAt(tool.descriptor, name)) != nil else { return }
        FileTree.removeTree(tool.descriptor, name)
        if (try? Syscalls.lstatAt(tool.descriptor, name)) != nil {
            throw SindriError(.rollbackFailed, "cannot remove \(Self.temporaryDirectory)")
        }
    }

    /// Takes an unchanged entry the restore placed out of the home by renaming it into
    /// `rollback-tmp/` (removed with that directory once the originals are back), instead of
    /// unlinking it at once. The originals are then created before those inodes are freed: ext4
    /// skips inodes freed in the last 30 s when it allocates, and scanning past thousands of them
    /// made a rollback of 6,000 files spend seconds in the kernel. Falls back to `unlink` when the
    /// rename cannot be made (another filesystem mounted inside the home, a read-only directory).
    private func discard(_ path: [UInt8]) throws {
        if trash < 0 {
            trash = (try? ToolState.openSubdirectory(home, (Self.temporaryDirectory as NSString).lastPathComponent).descriptor) ?? -2
        }
        let (parent, problem) = lookups.parent(of: path)
        if trash >= 0, problem == nil, parent >= 0 {
            trashCount += 1
            let target = "removed-\(trashCount)"
            let moved = withCPath(MemberPath.name(path)) { name in renameat(parent, name, trash, target) == 0 }
            if moved { return }
            if sindri_errno() == ENOENT { return }
        }
        try unlink(path, directory: false)
    }

    // MARK: Phase 3

    private func attributePhase() throws {
        lookups.closeAll()
        for item in plan.attributes {
            try tick(item.path)
            do {
                try RestoreRecovery.restoreAttributes(item.previous, at: item.path, home: home)
            } catch let failure as Syscalls.Failure {
                throw failure.error(path: PathBytes.display(item.path))
            }
        }
    }
}
