import ArgumentParser
import Foundation
import SindriArchive
import SindriBackup
#if canImport(Glibc)
import Glibc
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
              gpg -d b.tar.gz.gpg | sindri restore - --no-interactive
              sindri restore ./backup.tar.gz workspace/projects/app   Only that path
            """
    )

    @Argument(help: ArgumentHelp("The archive, or - for standard input.", valueName: "archive"), completion: .file(extensions: ["gz", "tgz"]))
    var archive: String

    @Argument(help: "Restore only these paths (and what lies below them).")
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

    @OptionGroup(title: "Output")
    var outputOptions: OutputOptions

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
        if mode != .safe, !dryRun, !noInteractive, isatty(STDIN_FILENO) == 1, isatty(STDERR_FILENO) == 1, archive != "-" {
            FileHandle.standardError.write(Data("Restore \(archive) into \(homePath) in \(mode.rawValue) mode? Existing files will be \(mode == .merge ? "kept as .bak and replaced" : "overwritten"). [y/N] ".utf8))
            let answer = readLine()?.lowercased() ?? ""
            guard answer == "y" || answer == "yes" else {
                if outputOptions.json {
                    reporter.failure("restore cancelled", status: .failure)
                } else {
                    printError("sindri: restore cancelled")
                }
                throw ExitCode(ExitStatus.failure.rawValue)
            }
        }
        let options = RestoreOptions(mode: mode, dryRun: dryRun, interactive: !noInteractive, force: force, only: paths,
                                     snapshotCodec: snapshotCodec, keepSnapshots: keepSnapshots)
        let archive = self.archive
        try await CommandRunner.run(reporter: reporter) {
            try await Self.restore(archive: archive, home: homePath, options: options, reporter: reporter)
        }
    }

    private static func restore(archive: String, home homePath: String, options: RestoreOptions, reporter: Reporter) async throws -> ExitStatus {
        let started = Date()
        let clock = ContinuousClock()
        let start = clock.now
        let dryRun = options.dryRun
        reporter.phase("reading \(archive == "-" ? "standard input" : archive) ...", delayed: true)
        let callback = reporter.restoreProgress(since: start, clock: clock)
        let result = try await RestoreManager(mode: options.mode).restore(archive: archive, home: homePath, options: options, progress: callback)
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
        let status: ExitStatus = result.warnings.isEmpty ? .success : .completedWithWarnings
        let counts = RestoreAction.allCases.compactMap { action -> String? in
            let count = result.count(action)
            return count == 0 ? nil : "\(count) \(action.rawValue)"
        }.joined(separator: ", ")
        let text: String
        if dryRun {
            text = "Dry run: \(ProgressFormat.count(result.plan.count, "path")) planned (\(counts.isEmpty ? "nothing to do" : counts)); nothing was changed."
        } else {
            var lines = "Restored \(ProgressFormat.count(result.restored, "path")) from \(archive == "-" ? "standard input" : archive) into \(homePath) in \(options.mode.rawValue) mode (\(counts.isEmpty ? "nothing to do" : counts))."
            if let snapshot = result.snapshotPath { lines += "\nPre-restore snapshot: \(homePath)/\(snapshot) (undo with: sindri rollback)" }
            text = lines
        }
        reporter.summary(
            result.summaryEvent(archivePath: archive == "-" ? nil : archive, home: homePath, mode: options.mode,
                                startedAt: started, exitCode: status.rawValue),
            text: text)
        return status
    }
}

extension RestoreAction: CaseIterable {
    public static let allCases: [RestoreAction] = [.create, .overwrite, .keepBackupAndOverwrite, .merge, .skipExists, .skipIdentical, .protectedMarker, .skipUnsafe]
}
