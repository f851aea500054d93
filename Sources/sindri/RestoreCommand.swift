import ArgumentParser
import Foundation
import SindriArchive
import SindriBackup
#if canImport(Glibc)
import Glibc
import SindriReporting
import SindriSystem
#endif

extension RestoreMode: ExpressibleByArgument {}
extension SnapshotCodec: ExpressibleByArgument {}

/// `sindri restore`: put an archive back into the home, safely.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a backup archive into the home directory.",
        discussion: """
            The whole archive is checked (gzip CRCs, tar structure, manifest, every file's SHA256) before anything in the home changes. System markers and .sindri/ are never written.

            MODES:
              safe   never touch an existing path; restore what is missing (default)
              merge  keep a differing file as <name>.bak[.N], then replace it; merge shell configs
              full   overwrite everything except system markers, without .bak

            SIGNALS:
              SIGINT or SIGTERM before the commit stops the restore and rolls it
              back: the home is exactly as before, the exit status 130 or 143.
              From the commit on, the restore completes (exit 0 and a warning;
              sindri rollback undoes it).

            EXAMPLES:
              sindri restore ./backup.tar.gz                     Safe restore
              sindri restore ./backup.tar.gz --dry-run           Preview the plan
              sindri restore ./backup.tar.gz --mode merge        Merge, keeping .bak copies
              sindri restore b.tar.gz.age --identity key.txt      Encrypted (age)
              gpg -d b.tar.gz.gpg | sindri restore - --no-interactive
              sindri restore ./backup.tar.gz workspace/projects/app   Only that path
              sindri restore ./backup.tar.gz '**/.env' 'workspace/*/notes'  Globs
              sindri restore ./backups/sindri-backup-me-20260101-120000-inc.tar.gz
                  An incremental: its whole chain (found by checksum in ./backups/,
                  or with --base-dir, --base) is checked, then restored as one
              sindri restore s3://my-bucket/backups/ws.tar.gz    From S3 (parallel ranged GETs)
              sindri restore https://example.com/ws.tar.gz --cacert ca.pem   From HTTPS

            PATHS are relative to the home, as stored in the archive (workspace/app, not \
            /home/me/workspace/app). A PATH is a literal path unless it contains *, ? or [: then it \
            is a pattern, as in --exclude, anchored at the home (* and ? stay within a name, ** \
            spans directories). Each PATH restores what it names and everything below. A PATH \
            that matches nothing fails the restore (exit 2) before anything in the home changes.

            In merge and full mode, a terminal is asked to confirm once the plan shows what would \
            be replaced (not when nothing would be); answering no changes nothing (exit 1). \
            Without a terminal on standard input, or with --no-interactive, nothing is asked. \
            Conflicts left in safe mode make the exit status 3.
            """
    )

    @Argument(help: ArgumentHelp("The archive: a path, - for standard input, s3://BUCKET/KEY or an http(s):// URL.", valueName: "archive"), completion: .file(extensions: ["gz", "tgz"]))
    var archive: String

    @Argument(help: ArgumentHelp("Restore only these paths (and what lies below them): relative to the home, literal unless they contain *, ? or [.", valueName: "path"))
    var paths: [String] = []

    @Option(name: .long, help: "The directory to restore into (default: $SINDRI_HOME or $HOME).", completion: .directory)
    var home: String?

    @Option(name: [.short, .long], help: "Restore mode: safe, merge, full.")
    var mode: RestoreMode = .safe

    @Flag(name: .long, help: "Print the plan and change nothing.")
    var dryRun = false

    @Flag(name: .long, help: "Restore despite a different major format version; skip the free-space check. Never overrides marker protection.")
    var force = false

    @Flag(name: .long, help: "Never ask for confirmation.")
    var noInteractive = false

    @Option(name: .long, help: "Codec of the pre-restore snapshot: gzip or lz4.")
    var snapshotCodec: SnapshotCodec = .gzip

    @Option(name: .long, help: "Completed-restore snapshots to keep (at least 1: the one this restore makes).")
    var keepSnapshots: Int = 5

    @OptionGroup(title: "Incremental chains")
    var chain: ChainOptions
    @OptionGroup(title: "Encryption")
    var decryption: DecryptionOptions

    @OptionGroup(title: "Output")
    var outputOptions: OutputOptions

    @OptionGroup(title: "S3 and HTTPS")
    var remote: RemoteOptions

    func validate() throws {
        // Checked before anything happens: 0 would delete the snapshot this restore just made.
        guard keepSnapshots >= 1 else {
            throw ValidationError("--keep-snapshots must be at least 1 (the snapshot of this restore is always kept), not \(keepSnapshots)")
        }
    }

    func run() async throws {
        let reporter = Reporter(command: "restore", options: outputOptions)
        let homePath: String
        do {
            homePath = try SindriEnvironment.resolveHome(home)
        } catch {
            guard outputOptions.json else { throw error }
            return try await CommandRunner.run(reporter: reporter) { throw error }
        }
        // Asked after the analysis, with the plan's figures, and only when something existing
        // would be replaced: never without a terminal on stdin and stderr, nor when stdin carries
        // the archive.
        let asks = mode != .safe && !dryRun && !noInteractive && isatty(STDIN_FILENO) == 1 && isatty(STDERR_FILENO) == 1 && archive != "-"
        let question = "Restore \(archive) into \(homePath) in \(mode.rawValue) mode"
        var options = RestoreOptions(mode: mode, dryRun: dryRun, interactive: !noInteractive, force: force, only: paths,
                                     snapshotCodec: snapshotCodec, keepSnapshots: keepSnapshots)
        options.chain = chain.sources
        options.access = remote.archiveAccess
        if asks {
            options.confirm = { @Sendable (changes: RestoreChanges) -> Bool in Self.confirm(question, changes, reporter: reporter) }
        }
        let archive = self.archive
        let decryption = self.decryption
        let chosen = options
        try await CommandRunner.run(reporter: reporter) {
            var options = chosen
            options.access.decryption = try decryption.keys(archive: archive, warn: { reporter.warning($0) })
            return try await Self.restore(archive: archive, home: homePath, options: options, reporter: reporter)
        }
    }

    private static func restore(archive: String, home homePath: String, options: RestoreOptions, reporter: Reporter) async throws -> ExitStatus {
        let started = Date()
        let clock = ContinuousClock()
        let start = clock.now
        let dryRun = options.dryRun
        reporter.phase("reading \(archive == "-" ? "standard input" : archive) ...", delayed: true)
        let callback = reporter.restoreProgress(since: start, clock: clock)
        let result: RestoreResult
        do {
            result = try await RestoreManager(mode: options.mode).restore(archive: archive, home: homePath, options: options, progress: callback)
        } catch let missing as RestorePathsNotFound {
            // Each PATH on its own line, as tar does; then one failure line.
            for path in missing.paths {
                let message = "\(path): not found in the archive"
                if reporter.json {
                    reporter.warning(.warning(SindriEvent.Warning(message: "not found in the archive", path: path)))
                } else {
                    reporter.writeText("sindri: \(message)", to: STDERR_FILENO)
                }
            }
            let count = missing.paths.count
            reporter.failure("\(count == 1 ? "a PATH matches" : "\(count) PATHs match") nothing in the archive; nothing was restored",
                             status: .pathNotFound)
            return .pathNotFound
        }
        let statistics = result.manifest.statistics
        reporter.finalProgress(ProgressSnapshot(
            elapsed: result.durationSeconds, filesDone: statistics.filesIncluded, filesTotal: statistics.filesIncluded,
            bytesDone: statistics.totalSizeBytes, bytesTotal: statistics.totalSizeBytes))
        for note in result.notes {
            if reporter.json {
                reporter.warning(note)
            } else {
                reporter.writeText("sindri: note: \(note)", to: STDERR_FILENO)
            }
        }
        if dryRun || reporter.verbose {
            // One line per path, ACTION<TAB>PATH, for people and scripts alike; details go to stderr.
            for item in result.plan {
                reporter.item(item.itemEvent, text: "\(item.action.rawValue)\t\(PathBytes.display(item.path))")
                if reporter.verbose, !reporter.json, let backup = item.backupPath {
                    reporter.writeText("sindri: \(PathBytes.display(item.path)): the current file is kept as \(PathBytes.display(backup))", to: STDERR_FILENO)
                }
            }
        }
        for item in result.plan where item.isConflict {
            // The planner's reason says what conflicts (a differing file, a directory where the
            // backup has a file, a path below such a conflict).
            let why = item.reason.map { $0.replacingOccurrences(of: " (conflict)", with: "") } ?? "exists and differs"
            let message = "\(PathBytes.display(item.path)): \(why == "exists and differs" ? "exists and differs from the backup" : why); left as it is (--mode merge or full replaces it)"
            if reporter.json {
                reporter.warning(.warning(SindriEvent.Warning(message: "conflict: " + message, path: PathBytes.display(item.path))))
            } else {
                reporter.writeText("sindri: conflict: \(message)", to: STDERR_FILENO)
            }
        }
        for warning in result.warnings { reporter.warning(warning) }
        // A conflict left in safe mode is a path of the backup that was not restored: the run
        // completed, with warnings (as for an unsafe path), and a dry run says what the run would.
        let status: ExitStatus = result.warnings.isEmpty && result.conflicts == 0 ? .success : .completedWithWarnings
        let counts = RestoreAction.allCases.compactMap { action -> String? in
            let count = result.count(action)
            return count == 0 ? nil : "\(count) \(action.rawValue)"
        }.joined(separator: ", ")
        var text: String
        if dryRun {
            text = "Dry run: \(ProgressFormat.count(result.plan.count, "path")) planned (\(counts.isEmpty ? "nothing to do" : counts)); nothing was changed."
        } else {
            text = "Restored \(ProgressFormat.count(result.restored, "path")) from \(archive == "-" ? "standard input" : archive) into \(homePath) in \(options.mode.rawValue) mode (\(counts.isEmpty ? "nothing to do" : counts))."
        }
        text += Self.conflictLines(result)
        if !dryRun, let snapshot = result.snapshotPath { text += "\nPre-restore snapshot: \(homePath)/\(snapshot) (undo with: \(Self.rollbackHint(home: homePath)))" }
        reporter.summary(
            result.summaryEvent(archivePath: archive == "-" ? nil : archive, home: homePath, mode: options.mode,
                                startedAt: started, exitCode: status.rawValue),
            text: text)
        return status
    }
}

extension RestoreCommand {
    /// The command that undoes this restore, ready to copy: it names the home unless it is `$HOME`
    /// (copying a bare `sindri rollback` after a `--home` restore would act on another home).
    static func rollbackHint(home: String) -> String {
        if let userHome = ProcessInfo.processInfo.environment["HOME"], userHome == home { return "sindri rollback" }
        let safe = home.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "/._-+,:@".contains($0)) }
        return "sindri rollback --home " + (safe ? home : "'" + home.replacingOccurrences(of: "'", with: "'\\''") + "'")
    }

    /// Conflicting paths named in the summary; the rest are counted ("… and 12 more").
    static let listedConflicts = 10

    /// The summary's conflict lines: how many, how many of them type conflicts, the first few paths.
    static func conflictLines(_ result: RestoreResult) -> String {
        let paths = result.conflictPaths
        guard !paths.isEmpty else { return "" }
        let kinds = result.typeConflicts == 0 ? "" : result.typeConflicts == paths.count
            ? (paths.count == 1 ? ", a type conflict" : ", all type conflicts") : ", \(result.typeConflicts) of them type conflicts"
        var text = "\n\(paths.count) \(paths.count == 1 ? "conflict" : "conflicts")\(kinds), left as \(paths.count == 1 ? "it is (--mode merge or full replaces it)" : "they are (--mode merge or full replaces them)"):"
        for path in paths.prefix(listedConflicts) { text += "\n  \(PathBytes.display(path))" }
        if paths.count > listedConflicts { text += "\n  … and \(paths.count - listedConflicts) more" }
        return text
    }

    /// Asks on the terminal whether to go ahead with `changes`; runs on the restore's blocking
    /// thread. A SIGINT or SIGTERM while waiting counts as no (the runner then exits 130 or 143).
    static func confirm(_ question: String, _ changes: RestoreChanges, reporter: Reporter) -> Bool {
        reporter.progressLine?.finish()
        reporter.flush()
        FileHandle.standardError.write(Data("\(question): \(changes.description). Continue? [y/N] ".utf8))
        var answer: [UInt8] = []
        var entry = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
        while !Interruption.isRequested {
            // Polled so that a stop request is noticed while waiting for the answer.
            let ready = poll(&entry, 1, 200)
            if ready < 0 && errno == EINTR { continue }
            if ready < 0 { break }
            if ready == 0 { continue }
            var byte: UInt8 = 0
            let count = read(STDIN_FILENO, &byte, 1)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 || byte == UInt8(ascii: "\n") { break }
            answer.append(byte)
        }
        if Interruption.isRequested { return false }
        let text = String(decoding: answer, as: UTF8.self).trimmingCharacters(in: .whitespaces).lowercased()
        return text == "y" || text == "yes"
    }
}

extension RestoreAction: CaseIterable {
    public static let allCases: [RestoreAction] = [
        .create, .overwrite, .keepBackupAndOverwrite, .merge, .skipExists, .skipDirectoryExists, .skipIdentical, .protectedMarker, .skipUnsafe,
    ]
}
