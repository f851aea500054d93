import ArgumentParser
import Foundation
import SindriArchive
import SindriBackup
import SindriReporting
import SindriSystem

/// `sindri backups`: the backups in a directory or under an S3 prefix, newest first, and which
/// full backup each incremental depends on.
struct BackupsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backups",
        abstract: "List the backups in a directory or under an S3 prefix, newest first.",
        discussion: """
            Each archive's manifest is read from its first member only (for S3, one small ranged GET per archive): created_at, profile, source name, size and file count. Archives that are not sindri's are listed last, with the reason. Each incremental names the archive it was made against and the full backup its chain starts from; a base that is not there is marked missing (restoring that incremental then needs --base-dir or --base).

            Encrypted archives (age files, recognized by their content whatever their name) keep their manifest inside the encryption: they are listed with TYPE encrypted, their size and, as CREATED, the file's (object's) modification time marked "(file)". With --identity FILE, --passphrase-file FILE, SINDRI_IDENTITY_FILE or SINDRI_PASSPHRASE_FILE, only their first chunks are decrypted to read the manifest, and they are listed like plain archives, with TYPE "full (age)" or "incremental (age)". Nothing is asked on the terminal.

            EXAMPLES:
              sindri backups ./backups/
              sindri backups s3://my-bucket/backups/
              sindri backups s3://b/ws/ --s3-endpoint http://127.0.0.1:8333 --json | jq .
              sindri backups ./backups/ --identity ~/.config/sindri/key.txt
            """
    )

    @Argument(help: ArgumentHelp("A directory, or s3://BUCKET/PREFIX/.", valueName: "location"), completion: .directory)
    var location: String = "."

    @OptionGroup(title: "Encryption")
    var decryption: DecryptionOptions

    @OptionGroup(title: "Output")
    var outputOptions: ArchiveReadingOutputOptions

    @OptionGroup(title: "S3 and HTTPS")
    var remote: RemoteOptions

    func run() async throws {
        let reporter = Reporter(command: "backups", options: outputOptions.shared)
        let location = self.location
        let access = remote.access
        let decryption = self.decryption
        try await CommandRunner.run(reporter: reporter) {
            let started = Date()
            let keys = try decryption.explicitKeys(warn: { reporter.warning($0) })
            let entries = try await BackupCatalog.list(location, access: access, keys: keys)
            var rows: [[String]] = []
            var details: [JSONValue] = []
            let chains = ChainDescription(entries)
            for entry in entries {
                let manifest = entry.manifest
                let name = manifest?.source.instanceName ?? "-"
                let files = manifest.map { String($0.statistics.filesIncluded) } ?? "-"
                var type = manifest.map { $0.isIncremental ? "incremental" : "full" } ?? (entry.encrypted ? "encrypted" : "-")
                if entry.encrypted, manifest != nil { type += " (age)" }
                // Without its key, an encrypted archive's time is its file's, and says so.
                let created = manifest?.createdAt ?? (entry.encrypted ? entry.modified.map { "\($0) (file)" } : nil) ?? "-"
                let chain = chains.describe(entry)
                let reason = entry.error ?? (manifest == nil ? entry.encryptionNote : nil)
                rows.append([type, created, manifest?.profile ?? "-", name, ProgressFormat.bytes(entry.sizeBytes), files,
                             entry.location + (reason.map { "  (\($0))" } ?? "") + (chain.map { "  \($0)" } ?? "")])
                var object: [String: JSONValue] = [
                    "location": .string(entry.location), "size_bytes": .unsigned(entry.sizeBytes), "encrypted": .bool(entry.encrypted),
                ]
                if let modified = entry.modified { object["modified"] = .string(modified) }
                if entry.encrypted, manifest == nil, let note = entry.encryptionNote { object["note"] = .string(note) }
                if let manifest {
                    object["created_at"] = .string(manifest.createdAt)
                    object["profile"] = .string(manifest.profile)
                    object["source"] = .string(manifest.source.instanceName)
                    object["files"] = .integer(Int64(manifest.statistics.filesIncluded))
                    object["total_bytes"] = .unsigned(manifest.statistics.totalSizeBytes)
                    object["backup_type"] = .string(manifest.isIncremental ? "incremental" : "full")
                    if let base = manifest.base {
                        object["base"] = .string(base.fileName)
                        object["base_present"] = .bool(chains.hasBase(entry))
                        object.merge(chains.dependency(entry)) { $1 }
                    }
                }
                if let error = entry.error { object["error"] = .string(error) }
                details.append(.object(object))
                if reporter.json {
                    reporter.emit(.item(SindriEvent.Item(
                        action: "backup", path: entry.location, size: entry.sizeBytes, mtime: manifest?.createdAt ?? entry.modified,
                        message: manifest.map { "profile \($0.profile), source \($0.source.instanceName), \($0.statistics.filesIncluded) files" }
                            ?? entry.error ?? entry.encryptionNote)))
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
        let header = ["TYPE", "CREATED", "PROFILE", "SOURCE", "SIZE", "FILES", "LOCATION"]
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

/// The chains among the archives of one location: each incremental's base, found by checksum
/// among them, and the full backup its chain starts from.
struct ChainDescription {
    private let byChecksum: [String: CatalogEntry]

    init(_ entries: [CatalogEntry]) {
        var map: [String: CatalogEntry] = [:]
        for entry in entries { if let checksum = entry.manifest?.checksum.value, map[checksum] == nil { map[checksum] = entry } }
        byChecksum = map
    }

    func hasBase(_ entry: CatalogEntry) -> Bool {
        guard let base = entry.manifest?.base else { return false }
        return byChecksum[base.checksum] != nil
    }

    /// The archives an incremental depends on, from its base back to the full backup its chain
    /// starts from; `missing` names the first base that is not among them.
    struct Dependency {
        var links: [CatalogEntry] = []
        var full: CatalogEntry?
        var missing: BackupBase?
    }

    func resolve(_ entry: CatalogEntry) -> Dependency? {
        guard let base = entry.manifest?.base else { return nil }
        var dependency = Dependency()
        var cursor: BackupBase? = base
        // Bounded: a forged manifest could make a cycle.
        while let link = cursor, dependency.links.count < 10_000 {
            guard let parent = byChecksum[link.checksum] else { dependency.missing = link; break }
            dependency.links.append(parent)
            if parent.manifest?.base == nil { dependency.full = parent; break }
            cursor = parent.manifest?.base
        }
        return dependency
    }

    /// `<- BASE; chain starts at FULL` for an incremental (a missing link is marked), nil for a full.
    func describe(_ entry: CatalogEntry) -> String? {
        guard let base = entry.manifest?.base, let dependency = resolve(entry) else { return nil }
        let chainStart = dependency.full.map { ($0.location as NSString).lastPathComponent }
            ?? dependency.missing.map { "\($0.fileName) (missing)" } ?? "?"
        let present = byChecksum[base.checksum] == nil ? " (missing)" : ""
        return "<- \(base.fileName)\(present); chain starts at \(chainStart)"
    }

    /// The `--json` fields of an incremental: `full` (the location of the full backup its chain
    /// starts from, null when a link is missing), `depends_on` (the locations it needs, newest
    /// first, the full last) and `missing_base` (the file name of the first base not found).
    func dependency(_ entry: CatalogEntry) -> [String: JSONValue] {
        guard let dependency = resolve(entry) else { return [:] }
        var object: [String: JSONValue] = [
            "full": dependency.full.map { .string($0.location) } ?? .null,
            "depends_on": .array(dependency.links.map { .string($0.location) }),
            "chain_complete": .bool(dependency.full != nil),
        ]
        if let missing = dependency.missing { object["missing_base"] = .string(missing.fileName) }
        return object
    }
}
