import ArgumentParser
import Foundation
import SindriBackup

/// `sindri rollback`: undo a restore.
struct RollbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Undo an interrupted restore, or the most recent completed one.",
        discussion: """
            Without --snapshot: undoes an unfinished (interrupted) restore if there is one, else the
            most recent completed restore, returning the home to its state before it.

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

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let homePath = home ?? environment["SINDRI_HOME"] ?? environment["HOME"] ?? ""
        guard !homePath.isEmpty else { throw ValidationError("no home directory: pass --home or set HOME") }
        let (snapshot, list) = (self.snapshot, self.list)
        try await CommandRunner.run {
            let manager = RollbackManager(home: homePath)
            if list {
                let snapshots = try await manager.list()
                if snapshots.isEmpty { printError("No restore snapshots in \(homePath).") }
                let formatter = ISO8601DateFormatter()
                for item in snapshots {
                    print("\(item.identifier)\t\(formatter.string(from: item.createdAt))\t\(item.sizeBytes)\t\(item.status)\t\(item.path)")
                }
                return .success
            }
            let message = try await manager.rollback(snapshot: snapshot)
            printError(message)
            return .success
        }
    }
}
