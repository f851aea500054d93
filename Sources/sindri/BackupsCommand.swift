import ArgumentParser
import Foundation
import SindriArchive
import SindriBackup

/// `sindri backups`: the backups in a directory or under an S3 prefix, newest first.
struct BackupsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backups",
        abstract: "List the backups in a directory or under an S3 prefix, newest first.",
        discussion: """
            Each archive's manifest is read from its first member only (for S3, one small ranged GET per archive): created_at, profile, source name, size and file count. Archives that are not sindri's are listed last, with the reason.

            EXAMPLES:
              sindri backups ./backups/
              sindri backups s3://my-bucket/backups/
              sindri backups s3://b/ws/ --s3-endpoint http://127.0.0.1:8333 --json | jq .
            """
    )

    @Argument(help: ArgumentHelp("A directory, or s3://BUCKET/PREFIX/.", valueName: "location"), completion: .directory)
    var location: String = "."

    @OptionGroup(title: "Output")
    var outputOptions: ArchiveReadingOutputOptions

    @OptionGroup(title: "S3 and HTTPS")
    var remote: RemoteOptions

    func run() async throws {
        let reporter = Reporter(command: "backups", options: outputOptions.shared)
        let location = self.location
        let access = remote.access
        try await CommandRunner.run(reporter: reporter) {
            let started = Date()
            let entries = try await BackupCatalog.list(location, access: access)
            var rows: [[String]] = []
            var details: [JSONValue] = []
            for entry in entries {
                let manifest = entry.manifest
                let name = manifest?.source.instanceName ?? "-"
                let files = manifest.map { String($0.statistics.filesIncluded) } ?? "-"
                rows.append([manifest?.createdAt ?? "-", manifest?.profile ?? "-", name, ProgressFormat.bytes(entry.sizeBytes), files,
                             entry.location + (entry.error.map { "  (\($0))" } ?? "")])
                var object: [String: JSONValue] = ["location": .string(entry.location), "size_bytes": .unsigned(entry.sizeBytes)]
                if let manifest {
                    object["created_at"] = .string(manifest.createdAt)
                    object["profile"] = .string(manifest.profile)
                    object["source"] = .string(manifest.source.instanceName)
                    object["files"] = .integer(Int64(manifest.statistics.filesIncluded))
                    object["total_bytes"] = .unsigned(manifest.statistics.totalSizeBytes)
                }
                if let error = entry.error { object["error"] = .string(error) }
                details.append(.object(object))
                if reporter.json {
                    reporter.emit(.item(SindriEvent.Item(
                        action: "backup", path: entry.location, size: entry.sizeBytes, mtime: manifest?.createdAt,
                        message: manifest.map { "profile \($0.profile), source \($0.source.instanceName), \($0.statistics.filesIncluded) files" } ?? entry.error)))
                }
            }
            if !reporter.json, !reporter.quiet {
                reporter.writeText(Self.table(rows), to: STDOUT_FILENO)
            }
            var summary = SindriEvent.Summary(command: "backups")
            summary.startedAt = BackupManifest.timestamp(started)
            summary.durationSeconds = Date().timeIntervalSince(started)
            summary.details = .array(details)
            reporter.summary(.summary(summary), text: "\(ProgressFormat.count(entries.count, "backup")) in \(location)")
            return .success
        }
    }

    /// Columns padded to their widest cell; the location last, unpadded.
    static func table(_ rows: [[String]]) -> String {
        let header = ["CREATED", "PROFILE", "SOURCE", "SIZE", "FILES", "LOCATION"]
        let all = [header] + rows
        var widths = [Int](repeating: 0, count: header.count)
        for row in all { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
        return all.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}
