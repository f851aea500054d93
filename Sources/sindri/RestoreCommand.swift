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
            The whole archive is checked (gzip CRCs, tar structure, manifest, every file's SHA256)
            before anything in the home changes. System markers and .sindri/ are never written.

            MODES:
              safe   never touch an existing path; restore what is missing (default)
              merge  keep a differing file as <name>.bak[.N], then replace it; merge shell configs
              full   overwrite everything except system markers, without .bak

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

    @Option(name: .long, help: "Completed-restore snapshots to keep.")
    var keepSnapshots: Int = 5

    @Flag(name: [.short, .long], help: "Print every path with its action.")
    var verbose = false

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let homePath = home ?? environment["SINDRI_HOME"] ?? environment["HOME"] ?? ""
        guard !homePath.isEmpty else { throw ValidationError("no home directory: pass --home or set HOME") }
        if mode != .safe, !dryRun, !noInteractive, isatty(STDIN_FILENO) == 1, isatty(STDERR_FILENO) == 1, archive != "-" {
            FileHandle.standardError.write(Data("Restore \(archive) into \(homePath) in \(mode.rawValue) mode? Existing files will be \(mode == .merge ? "kept as .bak and replaced" : "overwritten"). [y/N] ".utf8))
            let answer = readLine()?.lowercased() ?? ""
            guard answer == "y" || answer == "yes" else {
                printError("sindri: restore cancelled")
                throw ExitCode(ExitStatus.failure.rawValue)
            }
        }
        let options = RestoreOptions(mode: mode, dryRun: dryRun, interactive: !noInteractive, force: force, only: paths,
                                     snapshotCodec: snapshotCodec, keepSnapshots: keepSnapshots)
        let (archive, dryRun, verbose) = (self.archive, self.dryRun, self.verbose)
        try await CommandRunner.run {
            let result = try await RestoreManager(mode: options.mode).restore(archive: archive, home: homePath, options: options)
            for note in result.notes { printError("sindri: note: \(note)") }
            if dryRun || verbose {
                // One line per path, ACTION<TAB>PATH, for people and scripts alike; details go to stderr.
                for item in result.plan {
                    print("\(item.action.rawValue)\t\(PathBytes.display(item.path))")
                    if verbose, let backup = item.backupPath {
                        printError("sindri: \(PathBytes.display(item.path)): the current file is kept as \(PathBytes.display(backup))")
                    }
                }
            }
            for item in result.plan where item.action == .skipExists && item.reason?.contains("conflict") == true {
                printError("sindri: conflict: \(PathBytes.display(item.path)) exists and differs from the backup; left as it is (--mode merge or full replaces it)")
            }
            for warning in result.warnings { printError("sindri: warning: \(warning)") }
            let counts = RestoreAction.allCases.compactMap { action -> String? in
                let count = result.count(action)
                return count == 0 ? nil : "\(count) \(action.rawValue)"
            }.joined(separator: ", ")
            if dryRun {
                printError("Dry run: \(result.plan.count) paths planned (\(counts.isEmpty ? "nothing to do" : counts)); nothing was changed.")
            } else {
                printError("Restored \(result.restored) paths from \(archive) into \(homePath) in \(options.mode.rawValue) mode (\(counts.isEmpty ? "nothing to do" : counts)).")
                if let snapshot = result.snapshotPath { printError("Pre-restore snapshot: \(homePath)/\(snapshot) (undo with: sindri rollback)") }
            }
            return result.warnings.isEmpty ? .success : .completedWithWarnings
        }
    }
}

extension RestoreAction: CaseIterable {
    public static let allCases: [RestoreAction] = [.create, .overwrite, .keepBackupAndOverwrite, .merge, .skipExists, .skipIdentical, .protectedMarker, .skipUnsafe]
}
