import ArgumentParser
import Foundation
import SindriArchive
import SindriBackup
#if canImport(Glibc)
import Glibc
#endif

extension BackupProfile: ExpressibleByArgument {}

/// `sindri backup`: archive the home directory.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Back up the home directory into a .tar.gz archive.",
        discussion: """
            EXAMPLES:
              sindri backup                                      Standard backup to the current directory
              sindri backup --profile user-data -o ./backups/    User data only
              sindri backup --exclude '**/node_modules'          Additional exclusion
              sindri backup --dry-run -v                         Preview what would be archived
              sindri backup --compression 9 -o ./backup.tar.gz   Max compression
              sindri backup -o - | gpg --symmetric > b.tar.gz.gpg
            """
    )

    @Option(name: .long, help: "The directory to back up (default: $HOME).")
    var home: String?

    @Option(name: [.short, .long], help: "An existing directory (or a path ending in /) for an auto-named archive, the archive's path, or - for stdout.")
    var output: String = "."

    @Option(name: [.short, .long], help: "Backup profile: user-data, standard, full.")
    var profile: BackupProfile = .standard

    @Option(name: .long, help: "Additional exclude pattern, gitignore syntax (repeatable).")
    var exclude: [String] = []

    @Flag(name: .long, help: "Show what would be archived without writing anything.")
    var dryRun = false

    @Option(name: .long, help: "Compression level 1-9.")
    var compression: Int = 6

    @Flag(name: [.short, .long], help: "Verbose output.")
    var verbose = false

    func validate() throws {
        guard (1...9).contains(compression) else {
            throw ValidationError("compression level must be between 1 and 9, got \(compression)")
        }
    }

    func run() async throws {
        let homePath = home ?? ProcessInfo.processInfo.environment["HOME"] ?? ""
        guard !homePath.isEmpty else { throw ValidationError("no home directory: pass --home or set HOME") }
        var config = try ArchiveConfig(profile: profile).withCompressionLevel(compression)
        config.exclusions.patterns = exclude
        config.exclusions.walk.recordDecisions = dryRun && verbose
        let builder = ArchiveBuilder(config)
        let destination = BackupOutput.parse(output)
        let dryRun = self.dryRun
        let verbose = self.verbose
        try await CommandRunner.run {
            if dryRun {
                let plan = try await builder.plan(home: homePath)
                if verbose {
                    for decision in plan.decisions {
                        let mark = decision.included ? "+" : "-"
                        let suffix = decision.isDirectory ? "/" : ""
                        print("\(mark) \(PathBytes.display(decision.path))\(suffix)\t(\(decision.rule))")
                    }
                }
                for warning in plan.warnings { printError("sindri: warning: \(warning)") }
                printError("Dry run: would archive \(plan.regularFileCount) files, \(ByteCount.format(plan.regularFileBytes)) (\(plan.entries.count) members) from \(homePath) with profile \(builder.config.profile.rawValue); nothing written.")
                return plan.warnings.isEmpty ? .success : .completedWithWarnings
            }
            let result = try await builder.create(home: homePath, output: destination)
            for warning in result.warnings { printError("sindri: warning: \(warning)") }
            let ratio = result.totalBytes == 0 ? 0 : Double(result.sizeBytes) / Double(result.totalBytes) * 100
            let place = result.archivePath ?? "standard output"
            printError(String(format: "Backup created: %@ (%d files, %@ -> %@, %.1f%%, %.1f s)",
                              place, result.fileCount, ByteCount.format(result.totalBytes), ByteCount.format(result.sizeBytes),
                              ratio, result.durationSeconds))
            if !result.warnings.isEmpty {
                printError("sindri: completed with \(result.warnings.count) warning(s): the archive is valid but incomplete")
                return .completedWithWarnings
            }
            return .success
        }
    }
}

/// Human-readable byte counts (binary units).
enum ByteCount {
    static func format(_ bytes: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }
}
