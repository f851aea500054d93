import ArgumentParser
import Foundation
import SindriArchive
import SindriBackup
import SindriReporting
import SindriSystem

/// `sindri backups`: the archives in a directory, and which full backup each incremental
/// depends on.
struct BackupsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backups",
        abstract: "List the backups in a directory and the chains of incrementals.",
        discussion: """
            Reads only each archive's manifest (its first member). Each incremental names the archive it was made against and the full backup its chain starts from; a base that is not in the directory is marked missing (restoring that incremental then needs --base-dir or --base).

            EXAMPLES:
              sindri backups
                  The backups in the current directory.
              sindri backups ./backups/
            """
    )

    @Argument(help: ArgumentHelp("The directory holding the archives (default: the current directory).", valueName: "dir"),
              completion: .directory)
    var directory: String = "."

    @OptionGroup(title: "Output")
    var outputOptions: ArchiveReadingOutputOptions

    func run() async throws {
        let reporter = Reporter(command: "backups", options: outputOptions.shared)
        let directory = self.directory
        try await CommandRunner.run(reporter: reporter) {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw SindriError(.invalidArgument, "\(directory) is not a directory")
            }
            let found = try await BlockingExecutor.shared.run { BackupLocator.archives(in: directory) }
            reporter.writeText(Self.table(found), to: STDOUT_FILENO)
            return .success
        }
    }

    /// One line per archive, oldest first: type, creation time, profile, files, name, and for an
    /// incremental its base and the full backup its chain starts from.
    static func table(_ found: [BackupLocator.Found]) -> String {
        guard !found.isEmpty else { return "No sindri backups here.\n" }
        let byChecksum = Dictionary(found.map { ($0.manifest.checksum.value, $0) }, uniquingKeysWith: { first, _ in first })
        var lines: [String] = []
        for archive in found {
            let name = (archive.path as NSString).lastPathComponent
            let manifest = archive.manifest
            var line = "\(manifest.isIncremental ? "incremental" : "full       ")  \(manifest.createdAt)  \(manifest.profile)  "
                + "\(ProgressFormat.count(manifest.statistics.filesIncluded, "file"))  \(name)"
            if let base = manifest.base {
                var chainStart = "?"
                var cursor: BackupBase? = base
                var hops = 0
                while let link = cursor, hops < 10_000 {
                    guard let parent = byChecksum[link.checksum] else { chainStart = "\(link.fileName) (missing)"; break }
                    hops += 1
                    if parent.manifest.base == nil { chainStart = (parent.path as NSString).lastPathComponent; break }
                    cursor = parent.manifest.base
                }
                let present = byChecksum[base.checksum] == nil ? " (missing)" : ""
                line += "  <- \(base.fileName)\(present); chain starts at \(chainStart)"
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
