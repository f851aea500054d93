import ArgumentParser
import Foundation
import SindriBackup
import SindriReporting

/// `sindri verify`: check an archive completely without writing anything.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check an archive as restore would, writing nothing.",
        discussion: """
            Reads the whole archive: every gzip member's CRC32 and length, no trailing data, the tar structure, the manifest (first member), every file's SHA256 against the archive's checksum list, the archive checksum, and that no member is unsafe to restore. Exits 0 only when the archive is intact, 4 when it is not. The report always names every check.

            EXAMPLES:
              sindri verify ./backup.tar.gz
              sindri verify b.tar.gz.age --identity key.txt
              gpg -d b.tar.gz.gpg | sindri verify -
              sindri verify ./backups/sindri-backup-me-20260101-120000-inc.tar.gz
                  An incremental: every archive of its chain.
              sindri verify s3://my-bucket/backups/ws.tar.gz
              sindri verify https://example.com/ws.tar.gz --cacert ca.pem
            """
    )

    @Argument(help: ArgumentHelp("The archive: a path, - for standard input, s3://BUCKET/KEY or an http(s):// URL.", valueName: "archive"), completion: .file(extensions: ["gz", "tgz"]))
    var archive: String

    @OptionGroup(title: "Incremental chains")
    var chain: ChainOptions
    @OptionGroup(title: "Encryption")
    var decryption: DecryptionOptions

    @OptionGroup(title: "Output")
    var outputOptions: ArchiveReadingOutputOptions

    @OptionGroup(title: "S3 and HTTPS")
    var remote: RemoteOptions

    func run() async throws {
        let archive = self.archive
        let sources = chain.sources
        let remoteAccess = remote.archiveAccess
        let decryption = self.decryption
        let reporter = Reporter(command: "verify", options: outputOptions.shared)
        try await CommandRunner.run(reporter: reporter) {
            var access = remoteAccess
            access.decryption = try decryption.keys(archive: archive, warn: { reporter.warning($0) })
            let started = Date()
            let clock = ContinuousClock()
            let start = clock.now
            reporter.phase("verifying \(archive == "-" ? "standard input" : archive) ...", delayed: true)
            let callback = reporter.restoreProgress(since: start, clock: clock, readingLabel: "verifying")
            let report = try await RestoreManager().verify(archive: archive, access: access, chain: sources, progress: callback)
            reporter.finalProgress(ProgressSnapshot(
                elapsed: Date().timeIntervalSince(started), filesDone: report.regularFiles, filesTotal: report.regularFiles,
                bytesDone: report.contentBytes, bytesTotal: report.contentBytes))
            let manifest = report.manifest
            var text = """
                Verified \(archive == "-" ? "standard input" : archive):
                  gzip:      \(report.gzipMembers) members, \(report.compressedBytes) bytes; every CRC32 and length correct, no trailing data
                  tar:       \(report.members) members, structure sound, no unsafe member
                  manifest:  format \(manifest.version), profile \(manifest.profile), created \(manifest.createdAt) by \(manifest.createdBy)
                  files:     \(report.regularFiles) files, \(report.contentBytes) bytes\(report.checkedChecksums > 0 ? "; \(report.checkedChecksums) SHA256 checksums match" : "")
                  archive checksum: \(report.archiveChecksumVerified ? "matches the data" : "not recorded")
                """
            if !report.chain.isEmpty {
                text += "\n  chain:     \(report.chain.count) archives, each checked completely, newest first:"
                for link in report.chain {
                    text += "\n    \(link.manifest.isIncremental ? "incremental" : "full       ") \(link.name) (created \(link.manifest.createdAt))"
                }
            }
            if reporter.json {
                for note in report.notes { reporter.warning(note) }
            } else {
                for note in report.notes { text += "\n  note: \(note)" }
            }
            text += "\nOK"
            reporter.summary(report.summaryEvent(archivePath: archive == "-" ? nil : archive, startedAt: started), text: text, isReport: true)
            return .success
        }
    }
}
