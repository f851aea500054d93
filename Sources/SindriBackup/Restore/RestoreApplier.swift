import CSindriSystem
import Foundation
import SindriArchive
#if canImport(Glibc)
import Glibc
import SindriJournal
import SindriSystem
#endif

/// Stage 4: carries out a restore plan as a transaction.
///
/// Every change is announced in the write-ahead journal (fsynced, in batches) before it is made,
/// and every change is a `rename` out of the staging area or into the aside area on the same
/// filesystem, so each one is atomic and undoable. Nothing is ever opened for writing in place
/// and no original is deleted before commit. Announcing, reporting and the commit go through the
/// `RestoreTransaction` state machine (`TransactionRunner`), which refuses a step that would
/// reuse a staging name or replace a path whose original was not parked first; on any failure
/// the caller rolls back through the same machine, and after a crash the next run does
/// (`RestoreRecovery`).
///
/// An actor on the engine's blocking-I/O thread (`BlockingExecutor.shared`, the same one the
/// planner and the restore's driver use, so a hop costs well under a microsecond): it owns the
/// journal (through its `TransactionRunner`) and the staging area, and takes the plan one batch
/// of steps at a time. Its step code is plain synchronous system calls.
actor RestoreApplier {
    let home: Int32
    let staging: StagingArea
    private let transaction: TransactionRunner
    let archive: ScannedArchive
    let label: String
    /// Test seam: throw after this many journal steps (set from SINDRI_TEST_FAIL_AFTER_STEPS).
    private var failAfterSteps: Int?
    /// Steps announced per fsync of the journal.
    static let batchSize = RestorePlanner.batchSize

    nonisolated var unownedExecutor: UnownedSerialExecutor { BlockingExecutor.shared.asUnownedSerialExecutor() }

    private var lookups: DirectoryCache
    private var createdDirectories: [(path: [UInt8], member: ScannedMember)] = []
    /// Which entry each directory of `createdDirectories` is, taken right after its `mkdirat`:
    /// its mode and times are set at the end only if the path still names that directory.
    private var createdIdentities: [[UInt8]: EntryIdentity] = [:]
    /// The paths of `createdDirectories`, for lookups (one per step).
    private var createdDirectoryPaths: Set<[UInt8]> = []
    /// What ended up at each archive path (for hard links): placed from the archive or kept.
    private var placed: Set<[UInt8]> = []
    private var uniqueCounter = 0
    private var attributedDirectories: Set<[UInt8]> = []
    /// Archive member index by path, built at the first hard link that needs it.
    private lazy var memberIndexByPath: [[UInt8]: Int] = Dictionary(
        archive.members.enumerated().map { ($1.path, $0) }, uniquingKeysWith: { first, _ in first })
    /// Directories known to exist (or to be created by an earlier step of this restore).
    private var knownDirectories: Set<[UInt8]> = []
    /// Paths written so far.
    private(set) var written = 0

    /// Opens the transaction's journal in the home's `.sindri/journals` (nothing is written yet).
    init(home: Int32, identifier: String, staging: StagingArea, archive: ScannedArchive, label: String) throws {
        self.home = home
        self.staging = staging
        self.archive = archive
        self.label = label
        transaction = TransactionRunner(home: home, journal: try JournalFile(home: home, identifier: identifier), staging: staging)
        lookups = DirectoryCache(homeDescriptor: home)
    }

    deinit { lookups.closeAll() }

    /// Sets the test seams (SINDRI_TEST_FAIL_AFTER_STEPS, SINDRI_TEST_FAIL_UNDOS).
    func injectFailures(afterSteps: Int?, undos: Int?) {
        failAfterSteps = afterSteps
        if let undos { transaction.failingUndos = undos }
    }

    /// Writes and fsyncs the journal's `begin` record: nothing in the home is touched before.
    func begin(_ header: JournalHeader) throws {
        try transaction.begin(header)
    }

    /// A journal step prepared for a batch: staging entries exist before it is announced.
    private struct Pending {
        var step: JournalStep
        var run: () throws -> Void
        var places: [UInt8]?
    }

    /// Applies the writing steps of one batch of the plan; returns how many paths it wrote.
    ///
    /// Prepare the batch's staging entries, append every intent, fsync the journal once, then
    /// take the steps. That keeps the write-ahead rule (no step before its intent is durable) at
    /// one fsync per batch instead of one per file.
    ///
    /// - Throws: `CancellationError` on a stop request (checked before the batch's intents are
    ///   written); the caller then calls ``rollBack(reason:)``, which never stops half way.
    func apply(_ batch: [RestorePlanner.Step]) throws -> Int {
        var pending: [Pending] = []
        var count = 0
        for step in batch {
            if step.planned.action == .skipIdentical { placed.insert(step.planned.path); continue }
            guard step.planned.action.writes else { continue }
            pending += try prepare(step)
            count += 1
        }
        written += count
        guard !pending.isEmpty else { return 0 }
        try Interruption.checkpoint()
        let first = try transaction.announce(pending.map(\.step))
        for (offset, item) in pending.enumerated() {
            let index = first + offset
            if let limit = failAfterSteps, index >= limit {
                throw SindriError(.io, "injected failure after \(limit) steps (SINDRI_TEST_FAIL_AFTER_STEPS)")
            }
            do {
                try item.run()
            } catch let failure as Syscalls.Failure {
                throw failure.error(path: PathBytes.display(item.step.path))
            }
            try transaction.performed(index)
            if let path = item.places { placed.insert(path) }
        }
        try transaction.flush()
        return count
    }

    /// After the last batch: the directories the restore created get their archived mode, owner
    /// and mtime, deepest first.
    func finish() throws {
        TestPause.reach("before-attributes")
        try finishDirectories()
    }

    /// Stage 5: everything on disk (one `syncfs`), then the durable commit record.
    func commit() throws {
        try transaction.commit()
    }

    /// Undoes every recorded step, newest first, and records the outcome (see
    /// `TransactionRunner.rollBack`). Never checks for a stop request: it makes the home safe.
    func rollBack(reason: String) throws -> TransactionOutcome {
        try transaction.rollBack(reason: reason)
    }

    /// Directories the rollback left in place because the user's files appeared in them.
    var leftInPlace: [String] { transaction.leftInPlace }

    // MARK: - Steps

    private func prepare(_ step: RestorePlanner.Step) throws -> [Pending] {
        let path = step.planned.path
        return try implicitParents(of: path) + rememberParentAttributes(of: path) + prepareChange(step)
    }

    /// Archives without directory members (the original tool's held only files) still restore:
    /// missing parent directories are created (mode 0755), like `tar -x` does.
    private func implicitParents(of path: [UInt8]) throws -> [Pending] {
        // Ancestors are checked shallowest first, so a known directory's ancestors are all known:
        // one lookup per step instead of one per path component.
        let parent = MemberPath.parent(path)
        if parent.isEmpty || knownDirectories.contains(parent) { return [] }
        var pending: [Pending] = []
        for ancestor in MemberPath.ancestors(path) where !knownDirectories.contains(ancestor) {
            if createdDirectoryPaths.contains(ancestor) { knownDirectories.insert(ancestor); continue }
            switch lookups.state(of: ancestor) {
            case .directory:
                knownDirectories.insert(ancestor)
            case .missing:
                pending += try rememberParentAttributes(of: ancestor)
                knownDirectories.insert(ancestor)
                attributedDirectories.insert(ancestor)
                pending.append(Pending(step: .createDirectory(path: ancestor), run: { [unowned self] in
                    let (parent, name) = try parentOf(ancestor)
                    try withCPath(name) { try Syscalls.makeDirectoryAt(parent, $0, mode: 0o755) }
                }, places: ancestor))
            default:
                throw SindriError(.unsafeArchive, "\(PathBytes.display(path)): a parent in the home is not a directory")
            }
        }
        return pending
    }

    /// Records an existing directory's mode, owner and mtime before the first change inside it,
    /// so that a rollback gives it back its exact mtime (adding or removing entries changes it).
    private func rememberParentAttributes(of path: [UInt8]) throws -> [Pending] {
        let parent = MemberPath.parent(path)
        guard !attributedDirectories.contains(parent), !createdDirectoryPaths.contains(parent) else { return [] }
        attributedDirectories.insert(parent)
        return try attributesStep(for: parent)
    }

    /// A no-op step that records what `path` (the home itself when empty) has now, so that
    /// undoing the steps after it can give it back exactly.
    private func attributesStep(for path: [UInt8]) throws -> [Pending] {
        let info: stat
        do {
            if path.isEmpty {
                info = try Syscalls.fileStatus(home)
            } else {
                let (parent, name) = try parentOf(path)
                info = try withCPath(name) { try Syscalls.lstatAt(parent, $0) }
            }
        } catch let failure as Syscalls.Failure {
            throw failure.error(path: PathBytes.display(path))
        }
        let attributes = FileAttributes(
            mode: UInt32(info.st_mode) & 0o7777, uid: info.st_uid, gid: info.st_gid,
            mtimeSeconds: Int64(info.st_mtim.tv_sec), mtimeNanoseconds: UInt32(info.st_mtim.tv_nsec))
        return [Pending(step: .setAttributes(path: path, previous: attributes), run: {}, places: nil)]
    }

    private func prepareChange(_ step: RestorePlanner.Step) throws -> [Pending] {
        let member = archive.members[step.memberIndex]
        let path = step.planned.path
        switch step.planned.action {
        case .create:
            if member.kind == .directory { return [createDirectory(path, member)] }
            let staged = try stage(member)
            let placed = try EntryFingerprint.ofStaged(staged, in: staging, digest: member.kind == .regular ? member.digest : nil)
            return [Pending(step: .placeNew(path: path, stagingName: staged, placed: placed), run: { [unowned self] in try moveOutOfStaging(staged, to: path) }, places: path)]
        case .overwrite, .merge, .keepBackupAndOverwrite:
            // The original is parked (moved aside, or kept as .bak), then the new entry takes its
            // place: a file, link or directory, whatever type the original had (a type conflict
            // replaces a directory with its whole subtree, or a file with a directory).
            guard let identity = step.identity else {
                throw SindriError(.internal, "\(PathBytes.display(path)): no planned entry to replace")
            }
            // The original's exact attributes (mtime to the nanosecond) go to the journal: the
            // snapshot's tar keeps whole seconds only.
            let original = try attributesStep(for: path)
            let park: Pending
            if step.planned.action == .keepBackupAndOverwrite {
                guard let backup = step.planned.backupPath else { return [] }
                park = Pending(step: .keepBackup(path: path, backupPath: backup), run: { [unowned self] in
                    let (parent, _) = try parentOf(path)
                    try parkOriginal(path, identity: identity, into: parent, as: MemberPath.name(backup))
                }, places: nil)
            } else {
                let aside = nextName("a")
                park = Pending(step: .moveAside(path: path, asideName: aside), run: { [unowned self] in
                    try parkOriginal(path, identity: identity, into: staging.asideDescriptor, as: aside)
                }, places: nil)
            }
            if member.kind == .directory { return original + [park, createDirectory(path, member)] }
            let staged = step.planned.action == .merge ? try mergedShellConfig(member, path: path) : try stage(member)
            let placed = try EntryFingerprint.ofStaged(
                staged, in: staging, digest: step.planned.action != .merge && member.kind == .regular ? member.digest : nil)
            return original + [
                park,
                Pending(step: .replace(path: path, stagingName: staged, placed: placed), run: { [unowned self] in try moveOutOfStaging(staged, to: path) }, places: path),
            ]
        default:
            return []
        }
    }

    /// A directory of the archive made where nothing is (any original was parked first); its
    /// mode, owner and mtime are set by `finishDirectories` once everything inside it is placed.
    private func createDirectory(_ path: [UInt8], _ member: ScannedMember) -> Pending {
        createdDirectories.append((path, member))
        createdDirectoryPaths.insert(path)
        return Pending(step: .createDirectory(path: path), run: { [unowned self] in
            let (parent, name) = try parentOf(path)
            try withCPath(name) { entry in
                try Syscalls.makeDirectoryAt(parent, entry, mode: 0o700)
                createdIdentities[path] = EntryIdentity(try Syscalls.lstatAt(parent, entry))
            }
        }, places: path)
    }

    /// Renames the entry at `path` to `name` in `directory` (never replacing anything there),
    /// after checking that `path` still names the entry that was planned and snapshotted, and
    /// checks again after the rename (the home's owner may swap entries between any two calls).
    /// If another entry was there, the restore fails: its rollback renames the entry back, so a
    /// directory that replaced a planned file is never parked and deleted at commit.
    private func parkOriginal(_ path: [UInt8], identity: EntryIdentity, into directory: Int32, as name: [UInt8]) throws {
        let (parent, source) = try parentOf(path)
        try withCPath(source) { source in
            try checkIdentity(path, identity, parent: parent, name: source, what: "it was left in place")
            try withCPath(name) { target in
                try Syscalls.renameNoReplace(parent, source, directory, target)
                try checkIdentity(path, identity, parent: directory, name: target, what: "it is put back")
            }
        }
    }

    private func checkIdentity(_ path: [UInt8], _ identity: EntryIdentity, parent: Int32, name: UnsafePointer<CChar>, what: String) throws {
        let now: EntryIdentity
        do { now = EntryIdentity(try Syscalls.lstatAt(parent, name)) } catch let failure as Syscalls.Failure {
            throw failure.error(path: PathBytes.display(path))
        }
        guard now == identity else {
            let change = now.type == identity.type ? "another \(Self.describe(now))" : "\(Self.describe(now)) where \(Self.describe(identity)) was"
            throw SindriError(.conflict, "\(PathBytes.display(path)) changed after the restore was planned (now \(change)); nothing of it is replaced: \(what)", path: PathBytes.display(path))
        }
    }

    private static func describe(_ identity: EntryIdentity) -> String {
        switch mode_t(identity.type) {
        case S_IFDIR: return "a directory"
        case S_IFREG: return "a file"
        case S_IFLNK: return "a symlink"
        default: return "a special file"
        }
    }

    /// Makes the staging entry for a member (files are already staged by stage 1); returns its name.
    private func stage(_ member: ScannedMember) throws -> [UInt8] {
        switch member.kind {
        case .regular:
            // Staged by stage 1 with its content, owner (as root), mode and mtime.
            guard let name = member.stagingName else { throw SindriError(.internal, "\(PathBytes.display(member.path)) was not staged") }
            return Array(name.utf8)
        case .symbolicLink:
            let name = nextName("s")
            try withCPath(member.linkTarget) { target in
                try withCPath(name) { link in
                    do {
                        try Syscalls.symlinkAt(target, staging.stagingDescriptor, link)
                        try Syscalls.setLinkTimes(staging.stagingDescriptor, link, seconds: member.modificationTime)
                        if geteuid() == 0 { try Syscalls.changeLinkOwner(staging.stagingDescriptor, link, uid: member.uid, gid: member.gid) }
                    } catch let failure as Syscalls.Failure {
                        throw failure.error(path: PathBytes.display(member.path))
                    }
                }
            }
            return name
        case .fifo:
            // Made here, never from the archive's bytes: a FIFO has none. Device nodes are refused by stage 1.
            let name = nextName("p")
            try withCPath(name) { fifo in
                guard mkfifoat(staging.stagingDescriptor, fifo, 0o600) == 0 else {
                    throw Syscalls.Failure(operation: "mkfifoat", errno: sindri_errno()).error(path: PathBytes.display(member.path))
                }
                // Attributes through a descriptor (a FIFO opens at once with O_NONBLOCK for reading):
                // nothing here follows a name that could have been swapped.
                let fd: Int32
                do {
                    fd = try Syscalls.openAt(staging.stagingDescriptor, fifo, O_RDONLY | O_NONBLOCK | O_NOFOLLOW)
                } catch let failure as Syscalls.Failure {
                    throw failure.error(path: PathBytes.display(member.path))
                }
                defer { close(fd) }
                var failure: Syscalls.Failure?
                if geteuid() == 0, fchown(fd, member.uid, member.gid) != 0 { failure = Syscalls.Failure(operation: "fchown", errno: sindri_errno()) }
                if failure == nil, fchmod(fd, mode_t(member.mode & 0o1777)) != 0 { failure = Syscalls.Failure(operation: "fchmod", errno: sindri_errno()) }
                var times = [timespec(tv_sec: Int(member.modificationTime), tv_nsec: 0), timespec(tv_sec: Int(member.modificationTime), tv_nsec: 0)]
                if failure == nil, futimens(fd, &times) != 0 { failure = Syscalls.Failure(operation: "futimens", errno: sindri_errno()) }
                if let failure { throw failure.error(path: PathBytes.display(member.path)) }
            }
            return name
        case .hardLink:
            let name = nextName("h")
            let target = member.linkTarget
            try withCPath(name) { link in
                if placed.contains(target) {
                    let (parent, targetName) = try parentOf(target)
                    try withCPath(targetName) { source in
                        guard linkat(parent, source, staging.stagingDescriptor, link, 0) == 0 else {
                            throw Syscalls.Failure(operation: "linkat", errno: sindri_errno()).error(path: PathBytes.display(member.path))
                        }
                    }
                } else if let index = memberIndexByPath[target], let staged = archive.members[index].stagingName {
                    let source = staging.locate(Array(staged.utf8))
                    guard withCPath(source.name, { linkat(source.directory, $0, staging.stagingDescriptor, link, 0) }) == 0 else {
                        throw Syscalls.Failure(operation: "linkat", errno: sindri_errno()).error(path: PathBytes.display(member.path))
                    }
                } else {
                    throw SindriError(.io, "\(PathBytes.display(member.path)): hard link target \(PathBytes.display(target)) is unavailable")
                }
            }
            return name
        default:
            throw SindriError(.unsafeArchive, "\(PathBytes.display(member.path)): unsupported member type")
        }
    }

    private func moveOutOfStaging(_ staged: [UInt8], to path: [UInt8]) throws {
        let (parent, name) = try parentOf(path)
        let entry = staging.locate(staged)
        try withCPath(entry.name) { source in
            try withCPath(name) { target in
                guard sindri_rename_noreplace(entry.directory, source, parent, target) == 0 else {
                    throw Syscalls.Failure(operation: "renameat2", errno: sindri_errno())
                }
            }
        }
    }

    private func mergedShellConfig(_ member: ScannedMember, path: [UInt8]) throws -> [UInt8] {
        guard let stagedName = member.stagingName else { throw SindriError(.internal, "shell config not staged") }
        let entry = staging.locate(Array(stagedName.utf8))
        let backup = try FileContents.read(entry.directory, String(decoding: entry.name, as: UTF8.self), limit: 16 << 20)
        let (parent, name) = try parentOf(path)
        // O_NONBLOCK: a FIFO swapped in by the home's owner must not hang the restore.
        let currentFD = try withCPath(name) { try Syscalls.openAt(parent, $0, O_RDONLY | O_NOFOLLOW | O_NONBLOCK) }
        defer { close(currentFD) }
        let info = try Syscalls.fileStatus(currentFD)
        guard ((info.st_mode & S_IFMT) == S_IFREG) else {
            throw SindriError(.conflict, "\(PathBytes.display(path)) changed after the restore was planned (no longer a file)", path: PathBytes.display(path))
        }
        var current: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = try buffer.withUnsafeMutableBytes { try Syscalls.readSome(currentFD, into: $0) }
            if count == 0 { break }
            current.append(contentsOf: buffer[0..<count])
        }
        let merged = ShellConfigMerger.merge(current: current, backup: backup, label: label) ?? current
        let mergedName = nextName("m")
        let fd = try withCPath(mergedName) { try Syscalls.openAt(staging.stagingDescriptor, $0, O_WRONLY | O_CREAT | O_EXCL, mode: 0o600) }
        do {
            try merged.withUnsafeBytes { try Syscalls.writeAll(fd, $0) }
            try Syscalls.changeMode(fd, info.st_mode & 0o7777)
            if geteuid() == 0 { try Syscalls.changeOwner(fd, uid: info.st_uid, gid: info.st_gid) }
            try Syscalls.closeChecked(fd)
        } catch {
            close(fd)
            throw error
        }
        return mergedName
    }

    /// Gives the directories the restore created their archived mode and mtime, deepest first
    /// (creating entries inside a directory changes its mtime).
    private func finishDirectories() throws {
        // Through a descriptor of the directory itself, opened without following a symlink and
        // checked to be the directory this restore made: the home's owner may have renamed it and
        // put a symlink (to /etc/shadow, say) or another directory in its place meanwhile, and a
        // chmod by name would follow that symlink as root.
        for (path, member) in createdDirectories.reversed() {
            guard let created = createdIdentities[path] else { continue }
            let (parent, name) = try parentOf(path)
            do {
                let fd = try withCPath(name) { try FileOpener.openBeneath(parent, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) }
                defer { close(fd) }
                guard EntryIdentity(try Syscalls.fileStatus(fd)) == created else {
                    throw SindriError(.conflict, "\(PathBytes.display(path)) was replaced by another directory while the restore ran", path: PathBytes.display(path))
                }
                if geteuid() == 0 { try Syscalls.changeOwner(fd, uid: member.uid, gid: member.gid) }
                try Syscalls.changeMode(fd, mode_t(member.mode))
                try Syscalls.setTimes(fd, seconds: member.modificationTime)
            } catch let failure as Syscalls.Failure {
                if [ELOOP, ENOTDIR, ENOENT, EXDEV].contains(failure.errno) {
                    throw SindriError(.conflict, "\(PathBytes.display(path)) was moved or replaced while the restore ran (\(failure))", path: PathBytes.display(path))
                }
                throw failure.error(path: PathBytes.display(path))
            }
        }
    }

    private func parentOf(_ path: [UInt8]) throws -> (Int32, [UInt8]) {
        let (fd, problem) = lookups.parent(of: path)
        if let problem { throw SindriError(.unsafeArchive, "\(PathBytes.display(path)): \(problem)") }
        if fd < 0 {
            // The parent was created by this restore after the cache looked: look again.
            lookups.closeAll()
            let (again, problem) = lookups.parent(of: path)
            if let problem { throw SindriError(.unsafeArchive, "\(PathBytes.display(path)): \(problem)") }
            guard again >= 0 else { throw SindriError(.io, "\(PathBytes.display(path)): parent directory missing") }
            return (again, MemberPath.name(path))
        }
        return (fd, MemberPath.name(path))
    }

    private func nextName(_ prefix: String) -> [UInt8] {
        uniqueCounter += 1
        return Array("\(prefix)\(uniqueCounter)".utf8)
    }
}
