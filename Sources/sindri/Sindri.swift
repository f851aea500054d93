import ArgumentParser
import SindriBackup

/// The `sindri` command: backs up a home directory into a standard .tar.gz and restores it safely.
@main
struct Sindri: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sindri",
        abstract: "Back up a home directory into a standard .tar.gz and restore it safely.",
        discussion: ExitStatus.helpText,
        version: ArchiveBuilder.toolVersion,
        subcommands: [BackupCommand.self, RestoreCommand.self, VerifyCommand.self, RollbackCommand.self]
    )
}
