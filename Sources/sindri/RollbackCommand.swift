import ArgumentParser
import Foundation
import SindriBackup
#if canImport(Glibc)
import Glibc
import SindriReporting
#endif

/// `sindri rollback`: undo a restore.
struct RollbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Undo an interrupted restore, or the most recent completed one.",
        discussion: """
            Without --snapshot: undoes an unfinished (interrupted) restore if there is one, else finishes an interrupted rollback, else undoes the most recent completed restore, returning the home to its state before it.

            Nothing written after the restore is deleted: a file the restore placed that was changed or replaced since is moved aside as NAME.sindri-kept-<id> before the original comes back, and a directory the restore created that now holds other files is left in place. The summary (and --json) names every such path; --dry-run lists what would be removed, kept, left and restored.

            EXAMPLES:
              sindri rollback --list
              sindri rollback --dry-run
              sindri rollback
              sindri rollback --snapshot 20261128T153000
            """
    )

    @Option(name: .long, help: "The home directory (default: $SINDRI_HOME or $HOME).", completion: .directory)
    var home: String?

    @Option(name: .long, help: "The restore to undo: its snapshot id, or an unambiguous prefix of it.")
    var snapshot: String?

    @Flag(name: .long, help: "List the snapshots with their dates, sizes and states.")
    var list = false

    @Flag(name: .long, help: "Show what would be undone, kept and left, and change nothing.")
    var dryRun = false

    @Flag(name: [.short, .long], help: "Do not ask for confirmation.")
    var yes = false

    @Flag(name: .long, help: "Never ask for confirmation.")
    var noInteractive = false

    @OptionGroup(title: "Output")
    var outputOptions: OutputOptions

    func run() async throws {
        let reporter = Reporter(command: "rollback", options: outputOptions)
        let homePath: String
        do {
            homePath = try SindriEnvironment.resolveHome(home)
        } catch {
            guard outputOptions.json else { throw error }
            return try await CommandRunner.run(reporter: reporter) { throw error }
        }
        let (snapshot, list, dryRun) = (self.snapshot, self.list, self.dryRun)
        // As restore does: ask only when someone is there to answer.
        let ask = !yes && !noInteractive && !dryRun && !outputOptions.json && isatty(STDIN_FILENO) == 1 && isatty(STDERR_FILENO) == 1
        try await CommandRunner.run(reporter: reporter) {
            try await Self.perform(home: homePath, snapshot: snapshot, list: list, dryRun: dryRun, ask: ask, reporter: reporter)
        }
    }

    private static func perform(home homePath: String, snapshot: String?, list: Bool, dryRun: Bool, ask: Bool, reporter: Reporter) async throws -> ExitStatus {
        let started = Date()
        let manager = RollbackManager(home: homePath)
        var summary = SindriEvent.Summary(command: "rollback", dryRun: dryRun, exitCode: 0)
        summary.home = homePath
        summary.startedAt = EventTime.rfc3339(started)
        if list {
            let snapshots = try await manager.list()
            if snapshots.isEmpty, !reporter.json { reporter.writeText("No restore snapshots in \(homePath).", to: STDERR_FILENO) }
            // The listing is the command's output: printed even with -q.
            if !snapshots.isEmpty, !reporter.json { reporter.writeText(RollbackListing.header, to: STDOUT_FILENO) }
            for item in snapshots {
                if reporter.json { reporter.emit(item.itemEvent) } else { reporter.writeText(RollbackListing.line(item), to: STDOUT_FILENO) }
            }
            summary.durationSeconds = EventTime.seconds(Date().timeIntervalSince(started))
            summary.details = .object([
                "list": .bool(true),
                "snapshots": .array(snapshots.map(\.detailsValue)),
            ])
            reporter.emit(.summary(summary))
            return .success
        }
        reporter.phase(dryRun ? "checking what a rollback would do ..." : "rolling back ...", delayed: true)
        let clock = ContinuousClock()
        let start = clock.now
        var progress: (@Sendable (Int, Int, String) -> Void)?
        if reporter.progressLine != nil || reporter.json {
            progress = { (done: Int, total: Int, path: String) in
                let elapsed: Duration = clock.now - start
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                let snapshot = ProgressSnapshot(elapsed: seconds, filesDone: done, filesTotal: max(done, total),
                                                bytesDone: 0, bytesTotal: 0, currentPath: Array(path.utf8))
                reporter.progress(snapshot)
            }
        }
        var confirm: (@Sendable (RollbackReport) -> Bool)?
        if ask {
            confirm = { (preview: RollbackReport) -> Bool in
                reporter.progressLine?.finish()
                FileHandle.standardError.write(Data(RollbackListing.question(preview, home: homePath).utf8))
                let answer = readLine()?.lowercased() ?? ""
                return answer == "y" || answer == "yes"
            }
        }
        let report: RollbackReport
        do {
            report = try await manager.rollback(snapshot: snapshot, dryRun: dryRun, confirm: confirm, progress: progress)
        } catch is CancellationError {
            // Said before the generic interruption line: what state the home is in, and what to do.
            if !reporter.json { reporter.writeText("sindri: the rollback was stopped part way; nothing was lost: run sindri rollback again to finish it", to: STDERR_FILENO) }
            throw CancellationError()
        }
        summary.durationSeconds = EventTime.seconds(Date().timeIntervalSince(started))
        summary.files = report.undone.count + report.restored.count
        summary.details = report.detailsValue
        reporter.progressLine?.finish()
        if dryRun, !reporter.json {
            // The plan is the command's output, like restore --dry-run's: `ACTION<TAB>PATH`.
            for line in report.planLines { reporter.writeText(line, to: STDOUT_FILENO) }
        }
        if !reporter.json, !reporter.quiet {
            for kept in report.kept { reporter.writeText("kept: \(kept.path) (changed since the restore) -> \(kept.keptAs)", to: STDERR_FILENO) }
            for left in report.left { reporter.writeText("left: \(left) (holds files that are not the restore's)", to: STDERR_FILENO) }
        }
        reporter.summary(.summary(summary), text: report.message)
        return .success
    }
}

/// The text form of `sindri rollback --list`: a header, then one line per snapshot.
enum RollbackListing {
    static let header = "ID\tCREATED\tSIZE\tPATHS\tSTATE\tARCHIVE\tSNAPSHOT"

    static func question(_ preview: RollbackReport, home: String) -> String {
        let counts = "\(preview.undone.count) paths removed, \(preview.restored.count) originals restored, \(preview.kept.count) changed since the restore kept as .sindri-kept, \(preview.left.count) left"
        return "Roll back restore \(preview.transactionID) of \(preview.archive) in \(home)? \(counts). [y/N] "
    }

    static func line(_ item: RestoreSnapshotInfo) -> String {
        let formatter = ISO8601DateFormatter()
        return [item.identifier, formatter.string(from: item.createdAt), ProgressFormat.bytes(item.sizeBytes),
                String(item.pathCount), item.status, item.archive, item.path].joined(separator: "\t")
    }
}
