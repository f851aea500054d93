import CSindriSystem
import Foundation
import SindriArchive
#if canImport(Glibc)
import Glibc
import SindriJournal
import SindriSystem
#endif

/// Restores archives into a home and verifies them: the library entry point behind
/// `sindri restore`, `sindri verify` and `sindri rollback`.
///
/// The five stages: (1) validation reads the whole archive once, checking everything,
/// while staging file contents on the home's filesystem; (2) analysis plans each path by mode;
/// (3) a pre-restore snapshot of exactly what will be replaced; (4) execution as a journaled
/// transaction of renames; (5) commit after one `syncfs`. A failure in any stage leaves the home
/// exactly as it was.
///
/// Every stage runs on the engine's blocking-I/O thread (`BlockingExecutor.shared`) inside the
/// caller's task, and checks for a stop request (SIGINT/SIGTERM, task cancellation) between
/// stages and once per batch within them: stopped before the commit, a restore removes what it
/// staged and rolls back what it applied (that rollback never stops half way), and throws.
public struct RestoreManager: Sendable {
    public let mode: RestoreMode

    public init(mode: RestoreMode = .safe) { self.mode = mode }

    /// Reads and checks a whole archive (`-` for stdin), writing nothing. `progress`, if given,
    /// is called once per inflated gzip member with the file content read so far.
    public func verify(
        archive: String, access: ArchiveAccess = ArchiveAccess(), chain: ChainSources = ChainSources(),
        progress: (@Sendable (RestoreProgress) -> Void)? = nil
    ) async throws -> VerificationReport {
        try await withTaskExecutorPreference(BlockingExecutor.shared) {
            try Interruption.checkpoint()
            let source = try ArchiveSources.open(archive, access: access)
            let scanner = ArchiveScanner(staging: nil, availableBytes: nil, force: true)
            scanner.progress = progress
            var scanned = try await scanner.scan(source)
            if scanned.manifest.isIncremental {
                scanned = try await ChainScanner(sources: chain, access: access, newestName: archive, staging: nil, availableBytes: nil,
                                           force: true, progress: progress).scan(newest: scanned)
            }
            return scanned.report
        }
    }

    /// Restores `archive` (`-` for stdin) into `home`. `progress`, if given, is called during
    /// stage 1 (reading and checking the archive) once per inflated gzip member.
    public func restore(
        archive: String, home: String, options: RestoreOptions, progress: (@Sendable (RestoreProgress) -> Void)? = nil
    ) async throws -> RestoreResult {
        try await withTaskExecutorPreference(BlockingExecutor.shared) {
            do {
                return try await Self.run(archive: archive, home: home, options: options, progress: progress)
            } catch is CancellationError {
                throw InterruptedWork("the restore was stopped before it changed anything in the home")
            }
        }
    }

    /// The library's documented signature.
    public func restore(_ archive: String, _ home: String, _ options: RestoreOptions) async throws -> RestoreResult {
        try await restore(archive: archive, home: home, options: options)
    }

    private static func run(
        archive: String, home homePath: String, options: RestoreOptions, progress: (@Sendable (RestoreProgress) -> Void)? = nil
    ) async throws -> RestoreResult {
        let started = Date()
        var phases = PhaseTimer(enabled: ProcessInfo.processInfo.environment["SINDRI_TRACE_PHASES"] != nil)
        defer { phases.report() }
        let home = try ArchiveBuilder.openHome(homePath)
        defer { close(home) }
        var notes: [String] = []
        // A refused or interrupted restore must leave the home exactly as it was, its own times
        // and those of an existing .sindri and its snapshot and journal directories included
        // (creating and removing the staging area, a snapshot or a journal changes them).
        let homeTimes = try? Syscalls.fileStatus(home)
        let toolTimes = try? Syscalls.lstatAt(home, TOOL_STATE_DIRECTORY)
        let toolSubdirectories = ["restore-snapshots", "journals"]
        // Read-only lstats by name; the times are only ever set back through descriptors below.
        let subdirectoryTimes = toolSubdirectories.map { try? Syscalls.lstatAt(home, TOOL_STATE_DIRECTORY + "/" + $0) }
        func restoreTimes() {
            // After a failure already being reported: a time that cannot be set back does not
            // hide that error, but it is reported too (CleanupLog).
            if let homeTimes {
                var times = [homeTimes.st_atim, homeTimes.st_mtim]
                CleanupLog.check(futimens(home, &times), "could not set the home directory's modification time back")
            }
            // Through the descriptor the lock opened, and only while `.sindri` is still that
            // directory: never by name (see `ToolState`).
            if let toolTimes, ((toolTimes.st_mode & S_IFMT) == S_IFDIR), let tool = lock?.toolDescriptor,
               let opened = try? Syscalls.fileStatus(tool), EntryIdentity(opened) == EntryIdentity(toolTimes) {
                var times = [toolTimes.st_atim, toolTimes.st_mtim]
                CleanupLog.check(futimens(tool, &times), "could not set \(TOOL_STATE_DIRECTORY)'s modification time back")
            }
            // The snapshot and journal directories, when they existed before: creating and
            // removing this run's files in them changed their times.
            if let tool = lock?.toolDescriptor {
                for (name, times) in zip(toolSubdirectories, subdirectoryTimes) {
                    guard let times, ((times.st_mode & S_IFMT) == S_IFDIR),
                          let sub = try? Syscalls.openAt(tool, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) else { continue }
                    if let opened = try? Syscalls.fileStatus(sub), EntryIdentity(opened) == EntryIdentity(times) {
                        var values = [times.st_atim, times.st_mtim]
                        CleanupLog.check(futimens(sub, &values), "could not set \(TOOL_STATE_DIRECTORY)/\(name)'s modification time back")
                    }
                    close(sub)
                }
            }
        }

        // The PATHs are checked first (a typo is a usage error), then the archive must be there.
        let selection = try RestorePathSelection(options.only)
        let source = try ArchiveSources.open(archive, access: options.access)
        let name = source.name
        // A chain with a missing link is refused before the home is locked or anything staged.
        try ChainScanner.requireBases(of: archive, sources: options.chain)

        // Stage 0: one restore at a time per home; an unfinished earlier one is undone first.
        var lock: HomeLock?
        var staging: StagingArea?
        var succeeded = false
        // Set when a rollback could not finish: the aside directory may hold originals.
        var keepTransactionDirectory = false
        // What this run added to .sindri before its transaction began: a refused or failed run
        // removes it (an empty journal or a whole snapshot must not stay behind for good).
        var ownState = RunState()
        defer {
            if !succeeded {
                if !keepTransactionDirectory {
                    staging?.remove()
                    ownState.discard(home: home)
                }
                lock?.removeToolDirectoryIfUnused()
                restoreTimes()
            }
            lock?.release()
        }
        let identifier = Self.transactionIdentifier(started)
        if !options.dryRun {
            lock = try HomeLock.acquire(home: home)
            if let recovered = try RestoreRecovery.recoverUnfinished(home: home) { notes.append(recovered) }
            try Interruption.checkpoint()
            // Stage 1 stages contents on the home's filesystem as it validates them.
            TestPause.reach("locked")
            staging = try StagingArea(homeDescriptor: home, identifier: identifier)
        }
        let available = try? Syscalls.availableBytes(home)
        let scanner = ArchiveScanner(staging: staging, availableBytes: available, force: options.force)
        scanner.progress = progress
        var scanned = try await scanner.scan(source)
        if scanned.manifest.isIncremental {
            // Every archive of the chain is checked (stage 1) before anything else happens.
            scanned = try await ChainScanner(sources: options.chain, access: options.access, newestName: archive, staging: staging,
                                       availableBytes: available, force: options.force, progress: progress).scan(newest: scanned)
        }
        notes += scanned.report.notes
        phases.mark("read and check (stage 1)")
        // Later stages only announce themselves: the counters stay at the read's totals.
        func announce(_ phase: RestorePhase) {
            let report = scanned.report
            progress?(RestoreProgress(phase: phase, filesDone: report.regularFiles, filesTotal: report.regularFiles,
                                      bytesDone: report.contentBytes, bytesTotal: report.contentBytes))
        }
        announce(.planning)
        try Interruption.checkpoint()

        // Every PATH must name something in the archive, checked before stage 2: a PATH that
        // matches nothing fails the whole restore and the home is left exactly as it was.
        let unmatched = selection.unmatched(in: scanned.members.map { ($0.path, $0.kind == .directory) })
        if !unmatched.isEmpty { throw RestorePathsNotFound(paths: unmatched) }

        // Stage 2: analysis.
        notes += try checkVersion(scanned.manifest, force: options.force)
        let batches = try await RestorePlanner(homeDescriptor: home, mode: options.mode, only: selection).plan(scanned)
        let steps = batches.flatMap { $0 }
        phases.mark("plan")
        TestPause.here("planned")
        try Interruption.checkpoint()
        let plan = steps.map(\.planned)
        func result(restored: Int, snapshot: String?) -> RestoreResult {
            RestoreResult(
                manifest: scanned.manifest, plan: plan, restored: restored,
                skipped: plan.filter { !$0.action.writes }.count,
                conflicts: plan.filter(\.isConflict).count,
                protected: plan.filter { $0.action == .protectedMarker }.count,
                notes: notes, warnings: plan.filter { $0.action == .skipUnsafe }.map { "\(PathBytes.display($0.path)): \($0.reason ?? "unsafe")" },
                snapshotPath: snapshot, dryRun: options.dryRun, durationSeconds: Date().timeIntervalSince(started))
        }
        guard let staging, !options.dryRun else {
            succeeded = true
            return result(restored: 0, snapshot: nil)
        }
        guard plan.contains(where: { $0.action.writes }) else {
            // Nothing to write: leave no trace either (the cleanup below runs as for a refusal).
            return result(restored: 0, snapshot: nil)
        }

        // The confirmation comes once the plan can say what will change, and only if something
        // that exists would be replaced or modified. Declining changes nothing in the home.
        let changes = RestoreChanges(plan)
        if let confirm = options.confirm, changes.modifiesExisting, !confirm(changes) {
            throw SindriError(.cancelled, "restore cancelled; nothing in the home was changed")
        }

        // Stage 3: snapshot of exactly what will be replaced or modified.
        TestPause.reach("planned")
        announce(.snapshot)
        let replaced = steps.filter { [.overwrite, .keepBackupAndOverwrite, .merge].contains($0.planned.action) }
        ownState.note(home: home)
        ownState.snapshot = RestoreSnapshot.fileName(identifier: identifier, codec: options.snapshotCodec)
        let snapshot = try await RestoreSnapshot.write(home: home, identifier: identifier,
                                                 entries: replaced.map { ($0.planned.path, $0.identity) }, codec: options.snapshotCodec)
        phases.mark("snapshot")
        TestPause.reach("snapshotted")
        TestPause.here("snapshot")
        try Interruption.checkpoint()

        // Stage 4: the journaled transaction, driven by the RestoreTransaction state machine.
        ownState.journal = "\(identifier).journal"
        // The applier owns the journal and the staging area from here to the commit.
        let applier = try RestoreApplier(home: home, identifier: identifier, staging: staging, archive: scanned,
                                         label: "\(name), created \(scanned.manifest.createdAt)")
        let environment = ProcessInfo.processInfo.environment
        await applier.injectFailures(afterSteps: environment["SINDRI_TEST_FAIL_AFTER_STEPS"].flatMap { Int($0) },
                                     undos: environment["SINDRI_TEST_FAIL_UNDOS"].flatMap { Int($0) })
        try await applier.begin(JournalHeader(
            transactionID: identifier, createdAt: Int64(started.timeIntervalSince1970), mode: options.mode.rawValue,
            archive: name, snapshotName: (snapshot as NSString).lastPathComponent))
        var restored = 0
        TestPause.reach("before-apply")
        do {
            announce(.applying)
            // One batch of the plan per hop; each batch checks for a stop request before its
            // intents reach the journal.
            for batch in batches {
                restored += try await applier.apply(batch)
                TestPause.reach("applying")
            }
            try await applier.finish()
            phases.mark("apply")
            // The last moment a signal undoes the restore; from the commit on, it stands.
            try Interruption.checkpoint()
            PointOfNoReturn.pass("the restore had already been committed when the signal arrived: it is complete (sindri rollback undoes it)")
            announce(.committing)
            // Stage 5: commit: everything on disk (syncfs), then the durable commit record.
            try await applier.commit()
            phases.mark("commit")
        } catch {
            let interrupted = error is CancellationError
            let reason = interrupted ? "interrupted by a signal" : (error as? SindriError)?.message ?? "\(error)"
            let outcome: TransactionOutcome
            do { outcome = try await applier.rollBack(reason: reason) } catch let bug {
                keepTransactionDirectory = true
                throw SindriError(.rollbackFailed, "restore failed (\(reason)) and rolling it back failed too: \(bug); the originals are in \(snapshot) and \(staging.asidePath)")
            }
            switch outcome {
            case .rolledBack:
                staging.remove()
                // Rolled back completely: the failed attempt leaves no trace in the home.
                if let lock, lock.createdToolDirectory {
                    // Through the lock's descriptor: whatever `.sindri` names now is left alone.
                    FileTree.removeContents(lock.toolDescriptor)
                    ToolState.removeIfEmpty(home, lock.toolDescriptor)
                } else {
                    ownState.discard(home: home)
                }
                // Directories that gained the user's files during the restore stay, and are named.
                let leftInPlace = await applier.leftInPlace
                let left = leftInPlace.isEmpty ? "" : "; " + RestoreRecovery.leftNote(leftInPlace)
                if interrupted { throw InterruptedWork("the restore was stopped and rolled back: the home is as it was before it\(left)") }
                throw SindriError(.rolledBack, "restore failed: \(reason); the home was rolled back to its state before the restore\(left)")
            case .commitUncertain:
                // The commit record may have reached the disk: undoing now could leave a half-undone
                // home behind a journal that says committed. The complete restore stays in place.
                succeeded = true
                throw SindriError(.io, "the restore was applied, but recording its commit failed (\(reason)); the next sindri restore or rollback decides from what reached the disk")
            case .rollbackFailed(let failures):
                keepTransactionDirectory = true
                throw SindriError(.rollbackFailed, "restore failed (\(reason)) and rolling it back failed too: \(UndoFailure.summary(failures)); the originals are in \(snapshot) and \(staging.asidePath)")
            case .committed, .nothingToRecover, .journalUnusable:
                throw SindriError(.internal, "restore failed (\(reason)); the transaction ended unexpectedly")
            }
        }
        succeeded = true
        ownState = RunState()
        staging.remove()
        RestoreRecovery.prune(home: home, keep: options.keepSnapshots, current: identifier)
        phases.mark("clean up")
        return result(restored: restored, snapshot: snapshot)
    }

    /// Same major restores; a newer minor restores with a note; another major needs --force.
    static func checkVersion(_ manifest: BackupManifest, force: Bool) throws -> [String] {
        // Incrementals have their own major version: this tool reads both kinds.
        guard let version = ManifestVersion(manifest.version),
              let ours = ManifestVersion(manifest.isIncremental ? INCREMENTAL_MANIFEST_VERSION : MANIFEST_VERSION) else {
            throw SindriError(.archiveCorrupt, "unknown manifest format version '\(manifest.version)'")
        }
        if version.major != ours.major {
            guard force else {
                throw SindriError(.incompatibleVersion, "the archive's format version \(version) is incompatible with this tool's \(ours) (different major version); --force restores anyway")
            }
            return ["format version \(version) differs in major version from \(ours); restoring because of --force"]
        }
        if version.minor > ours.minor {
            return ["the archive was written by a newer tool (format \(version)); fields this version does not know are ignored"]
        }
        return []
    }

    static func transactionIdentifier(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss"
        var random = SystemRandomNumberGenerator()
        // Six hex digits, zero-padded, so that ids (and snapshot and journal names) sort by time.
        let suffix = String(random.next() & 0xFFFFFF, radix: 16)
        return "\(formatter.string(from: date))-\(String(repeating: "0", count: 6 - suffix.count))\(suffix)"
    }
}

/// The files and directories one restore run adds to `.sindri` before its transaction can be
/// rolled back: removed again, through descriptors, when the run fails before committing
/// (ENOSPC while writing the journal's first record, a snapshot that cannot be written, ...).
struct RunState {
    var journal: String?
    var snapshot: String?
    /// Subdirectories of `.sindri` that did not exist when the run began.
    var newDirectories: [String] = []

    /// Records which of `journals/` and `restore-snapshots/` are missing before the run makes them.
    mutating func note(home: Int32) {
        guard let tool = try? ToolState.open(home, create: false) else {
            newDirectories = ["journals", "restore-snapshots"]
            return
        }
        defer { close(tool.descriptor) }
        newDirectories = ["journals", "restore-snapshots"].filter { (try? Syscalls.lstatAt(tool.descriptor, $0)) == nil }
    }

    func discard(home: Int32) {
        if let journal { ToolState.removeFile(home, directory: "journals", name: journal) }
        if let snapshot { ToolState.removeFile(home, directory: "restore-snapshots", name: snapshot) }
        for directory in newDirectories { ToolState.removeEmptySubdirectory(home, directory) }
    }
}

/// With `SINDRI_TRACE_PHASES` set, `sindri restore` prints how long each stage took to stderr
/// (for profiling a slow restore; the figures in PerfData come from whole-command timings).
struct PhaseTimer {
    let enabled: Bool
    private var last = DispatchTime.now()
    private var phases: [(String, Double)] = []

    init(enabled: Bool) { self.enabled = enabled }

    mutating func mark(_ name: String) {
        guard enabled else { return }
        let now = DispatchTime.now()
        phases.append((name, Double(now.uptimeNanoseconds - last.uptimeNanoseconds) / 1e9))
        last = now
    }

    func report() {
        guard enabled, !phases.isEmpty else { return }
        let text = phases.map { "\($0.0) \(String(format: "%.2f", $0.1)) s" }.joined(separator: ", ")
        FileHandle.standardError.write(Data("sindri: phases: \(text)\n".utf8))
    }
}
