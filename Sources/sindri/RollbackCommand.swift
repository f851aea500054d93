import ArgumentParser
import Foundation
import SindriBackup
#if canImport(Glibc)
import Glibc
#endif

/// `sindri rollback`: undo a restore.
struct RollbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Undo an interrupted restore, or the most recent completed one.",
        discussion: """
            Without --snapshot: undoes an unfinished (interrupted) restore if there is one, else the most recent completed restore, returning the home to its state before it.

            EXAMPLES:
              sindri rollback --list
              sindri rollback
              sindri rollback --snapshot 20261128T153000-a1b2c3
            """
    )

    @Option(name: .long, help: "The home directory (default: $SINDRI_HOME or $HOME).", completion: .directory)
    var home: String?

    @Option(name: .long, help: "The restore (snapshot id) to undo.")
    var snapshot: String?

    @Flag(name: .long, help: "List the snapshots with their dates and sizes.")
    var list = false

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
        let (snapshot, list) = (self.snapshot, self.list)
        try await CommandRunner.run(reporter: reporter) {
            let started = Date()
            let manager = RollbackManager(home: homePath)
            var summary = SindriEvent.Summary(command: "rollback", dryRun: false, exitCode: 0)
            summary.home = homePath
            summary.startedAt = EventTime.rfc3339(started)
            if list {
                let snapshots = try await manager.list()
                if snapshots.isEmpty, !reporter.json { reporter.writeText("No restore snapshots in \(homePath).", to: STDERR_FILENO) }
                let formatter = ISO8601DateFormatter()
                for item in snapshots {
                    // The listing is the command's output: printed even with -q.
                    let line = "\(item.identifier)\t\(formatter.string(from: item.createdAt))\t\(item.sizeBytes)\t\(item.status)\t\(item.path)"
                    if reporter.json { reporter.emit(item.itemEvent) } else { reporter.writeText(line, to: STDOUT_FILENO) }
                }
                summary.durationSeconds = EventTime.seconds(Date().timeIntervalSince(started))
                summary.details = .object([
                    "list": .bool(true),
                    "snapshots": .array(snapshots.map(\.detailsValue)),
                ])
                reporter.emit(.summary(summary))
                return .success
            }
            reporter.phase("rolling back ...", delayed: true)
            let message = try await manager.rollback(snapshot: snapshot)
            summary.durationSeconds = EventTime.seconds(Date().timeIntervalSince(started))
            summary.details = .object(["message": .string(message)])
            reporter.progressLine?.finish()
            if reporter.json {
                reporter.emit(.summary(summary))
            } else {
                reporter.writeText(message, to: STDERR_FILENO)
            }
            return .success
        }
    }
}
