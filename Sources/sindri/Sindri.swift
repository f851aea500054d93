import ArgumentParser
import Foundation
import SindriBackup
import SindriReporting

/// The `sindri` command: backs up a home directory into a standard .tar.gz and restores it safely.
@main
struct Sindri: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sindri",
        abstract: "Back up a home directory into a standard .tar.gz and restore it safely.",
        discussion: """
            EXAMPLES:
              sindri backup -o ./backups/
                  Back up $HOME into an auto-named archive.
              sindri list backup.tar.gz
                  Show an archive's manifest and members.
              sindri backup --dry-run -v
                  Preview what a backup would take, and why.
              sindri bench --synthetic 200M
                  Compare compression levels on a generated home.
              sindri --generate-completion-script bash > sindri.bash
                  Shell completion (also zsh, fish).

            \(ExitStatus.helpText)

            \(SindriEnvironment.helpText)

            JSON OUTPUT:
              With --json every command writes JSON Lines: one object per line, each
              with a message_type of status, item, warning, summary or exit_error.
              Sizes are bytes, times RFC 3339 (UTC), durations seconds; the summary
              carries dry_run and exit_code. The stream is standard output, or
              standard error when standard output carries the archive (backup -o -).
              percent_done is a fraction from 0 to 1. -q leaves out status messages.
              A path_bytes key (base64) gives a name's exact bytes when the path
              shown is escaped or the name is not UTF-8.
            """,
        version: ArchiveBuilder.toolVersion,
        subcommands: [BackupCommand.self, RestoreCommand.self, VerifyCommand.self, RollbackCommand.self, ListCommand.self, BackupsCommand.self, PruneUploadsCommand.self, BenchCommand.self, KeygenCommand.self]
    )

    /// Parses and runs like `AsyncParsableCommand.main()`, except that with `--json` a usage
    /// error becomes an `exit_error` event on the JSON stream (a script reading that stream must
    /// find JSON there, never a usage text). The exit status is the parser's: 64 for usage errors.
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            let wantsJSON = arguments.prefix { $0 != "--" }.contains("--json")
            if wantsJSON, code != .success, !(error is ExitCode) {
                let reporter = Reporter(command: "sindri", json: true, jsonOnStandardError: Self.sendsArchiveToStandardOutput(arguments))
                reporter.emit(.exitError(SindriEvent.ExitError(
                    code: code.rawValue, message: message(for: error), errorCode: "invalidArgument")))
                Foundation.exit(code.rawValue)
            }
            // A usage error is one line naming the problem (the usage text is one --help away).
            if code.rawValue == ExitStatus.usage.rawValue, !(error is ExitCode) {
                let text = message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid arguments"
                printError("sindri: error: \(text.hasPrefix("Error: ") ? String(text.dropFirst(7)) : text) (see \(helpCommand(arguments)))")
                Foundation.exit(code.rawValue)
            }
            exit(withError: error)
        }
    }

    /// Where a usage error's reader finds the options: `sindri <command> --help` for the command
    /// named in the arguments, else `sindri --help`.
    static func helpCommand(_ arguments: [String]) -> String {
        let names = Set(configuration.subcommands.map { $0._commandName })
        for argument in arguments {
            if argument == "--" { break }
            if names.contains(argument) { return "sindri \(argument) --help" }
        }
        return "sindri --help"
    }

    /// Whether the arguments ask `backup` to write the archive to standard output (`-o -`).
    static func sendsArchiveToStandardOutput(_ arguments: [String]) -> Bool {
        for (index, argument) in arguments.enumerated() {
            if argument == "--" { break }
            if argument == "-o-" || argument == "--output=-" { return true }
            if argument == "-o" || argument == "--output", index + 1 < arguments.count, arguments[index + 1] == "-" { return true }
        }
        return false
    }
}
