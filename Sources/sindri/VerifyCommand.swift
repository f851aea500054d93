import ArgumentParser
import Foundation
import SindriBackup

/// `sindri verify`: check an archive completely without writing anything.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check an archive as restore would, writing nothing.",
        discussion: """
            Reads the whole archive: every gzip member's CRC32 and length, no trailing data, the tar
            structure, the manifest (first member), every file's SHA256 against the archive's
            checksum list, the archive checksum, and that no member is unsafe to restore.
            Exits 0 only when the archive is intact, 4 when it is not.

            EXAMPLES:
              sindri verify ./backup.tar.gz
              gpg -d b.tar.gz.gpg | sindri verify -
            """
    )

    @Argument(help: ArgumentHelp("The archive, or - for standard input.", valueName: "archive"), completion: .file(extensions: ["gz", "tgz"]))
    var archive: String

    func run() async throws {
        let archive = self.archive
        try await CommandRunner.run {
            let report = try await RestoreManager().verify(archive: archive)
            let manifest = report.manifest
            printError("""
                Verified \(archive == "-" ? "standard input" : archive):
                  gzip:      \(report.gzipMembers) members, \(report.compressedBytes) bytes; every CRC32 and length correct, no trailing data
                  tar:       \(report.members) members, structure sound, no unsafe member
                  manifest:  format \(manifest.version), profile \(manifest.profile), created \(manifest.createdAt) by \(manifest.createdBy)
                  files:     \(report.regularFiles) files, \(report.contentBytes) bytes\(report.checkedChecksums > 0 ? "; \(report.checkedChecksums) SHA256 checksums match" : "")
                  archive checksum: \(report.archiveChecksumVerified ? "matches the data" : "not recorded")
                """)
            for note in report.notes { printError("  note: \(note)") }
            printError("OK")
            return .success
        }
    }
}
