import ArgumentParser
import Foundation
import SindriArchive
import SindriBackup
#if canImport(Glibc)
import Glibc
import SindriReporting
import SindriSystem
#endif

/// `sindri list`: an archive's manifest summary and members, like `tar -tv`.
struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Show an archive's manifest and members without extracting it.",
        discussion: """
            EXAMPLES:
              sindri list backup.tar.gz
                  The manifest summary, then the members like tar -tv.
              sindri list -q backup.tar.gz
                  Members only.
              sindri list --json b.tar.gz | jq -r 'select(.path).path'
                  Member paths, for scripts.
              sindri list b.tar.gz.age --identity key.txt
                  An encrypted archive (recognized by its content).
              gpg -d b.tar.gz.gpg | sindri list -
                  Read the archive from standard input.
              sindri list ./backups/sindri-backup-me-20260101-120000-inc.tar.gz
                  An incremental: its members, then its chain (each link's
                  added, changed and deleted paths).
              sindri list --json INC.tar.gz | jq 'select(.details.chain).details.chain'
                  The chain as JSON: each link's counts and paths.
              sindri list s3://my-bucket/backups/ws.tar.gz
                  From S3: ranged GETs of the manifest and the tar headers only.

            Members are printed as type and mode, uid/gid, size, modification time (local) and path. Paths are escaped: control characters, backslashes and invalid UTF-8 appear as \\n, \\\\, \\xNN. list reads no more than it needs: it stops after the data members and steps over blocks inside one file's content, so it does not check the whole archive (sindri verify does). Members are always listed in the long format (like tar -tv).
            """
    )

    @Argument(help: ArgumentHelp("The archive: a path, - for standard input, s3://BUCKET/KEY or an http(s):// URL.", valueName: "archive"),
              completion: .file(extensions: ["gz", "tgz"]))
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
        let reporter = Reporter(command: "list", options: outputOptions.shared)
        let path = archive
        let sources = chain.sources
        let remoteAccess = remote.archiveAccess
        let decryption = self.decryption
        try await CommandRunner.run(reporter: reporter) {
            let started = Date()
            var access = remoteAccess
            access.decryption = try decryption.keys(archive: path, warn: { reporter.warning($0) })
            let lister = ArchiveLister(path: path, access: access)
            let keys = access.decryption
            let listing = try await BlockingExecutor.shared.run {
                try lister.list(
                    onManifest: { manifest in
                        guard !reporter.json, !reporter.quiet else { return }
                        reporter.writeText(Self.manifestSummary(manifest, path: path) + "\n", to: STDOUT_FILENO)
                    },
                    onMember: { member in
                        // The event is only built for --json: a listing runs to millions of members.
                        reporter.item(reporter.json ? member.entry.listItemEvent : Self.textOnly, text: Self.memberLine(member.entry))
                    })
            }
            if let manifest = listing.manifest, !manifest.checksum.isRealSHA256, !reporter.json, !reporter.quiet {
                reporter.writeText(Self.streamedSummary(listing.summary), to: STDOUT_FILENO)
            }
            var summary = listing.summaryEvent(archivePath: path == "-" ? nil : path, startedAt: started)
            if let manifest = listing.manifest, manifest.isIncremental, path != "-", reporter.json || !reporter.quiet {
                let links = try await BlockingExecutor.shared.run { try ChainInspector.describe(path, sources: sources, access: remoteAccess.remote, keys: keys) }
                if reporter.json {
                    summary = Self.withChain(summary, links)
                } else {
                    reporter.writeText(Self.chainText(links), to: STDOUT_FILENO)
                }
            }
            reporter.emit(summary)
            return .success
        }
    }

    /// The event handed to the reporter in text mode, where only the text is used.
    private static let textOnly = SindriEvent.item(SindriEvent.Item(action: "list", path: ""))

    /// The manifest summary printed before the members.
    static func manifestSummary(_ manifest: BackupManifest?, path: String) -> String {
        let name = path == "-" ? "standard input" : path
        guard let manifest else {
            return "Archive:     \(name)\nManifest:    none (not a sindri archive; listing the tar members)"
        }
        let known = { (text: String) in text.isEmpty ? "unknown" : text }
        // The backup type and the profile are the same word for every archive we write.
        let type = manifest.backupType == manifest.profile || manifest.backupType.isEmpty ? "" : " (type \(manifest.backupType))"
        let streamed = !manifest.checksum.isRealSHA256
        var lines = [
            "Archive:     \(name)",
            "Manifest:    version \(manifest.version), created \(known(manifest.createdAt)) by \(known(manifest.createdBy))",
            "Source:      \(known(manifest.source.instanceName)) (provider \(known(manifest.source.provider)), host \(known(manifest.source.hostname)))",
            "Profile:     \(known(manifest.profile))\(type), compression \(manifest.compression)",
        ]
        if streamed {
            lines.append("Checksum:    \(manifest.checksum.value) (figures of an archive written to a pipe follow the members)")
        } else {
            lines.append(contentsLine(manifest.statistics))
            lines.append("Checksum:    \(manifest.checksum.algorithm) \(manifest.checksum.value)")
        }
        if let extensions = manifest.extensions, !extensions.installed.isEmpty {
            lines.append("Extensions:  " + extensions.installed.map { name in
                extensions.versions[name].map { "\(name) \($0)" } ?? name
            }.joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }

    /// `Contents: 12 files, 1.2 MiB -> 300.0 KiB (ratio 0.244), took 1.3 s`: what is known of it.
    static func contentsLine(_ stats: BackupStatistics) -> String {
        var line = "Contents:    \(ProgressFormat.count(stats.filesIncluded, "file")), \(ByteCount.format(stats.totalSizeBytes))"
        if stats.compressedSizeBytes > 0 {
            line += String(format: " -> %@ (ratio %.3f)", ByteCount.format(stats.compressedSizeBytes), stats.compressionRatio)
        }
        if let duration = stats.durationSeconds { line += String(format: ", took %.1f s", duration) }
        return line
    }

    /// The final figures of an archive written to a pipe, from its trailing summary (printed after
    /// the members, where the summary sits in the archive).
    static func streamedSummary(_ summary: BackupSummary?) -> String {
        guard let summary else { return "Summary:     none (the archive ends before its .backup-summary.json)" }
        return contentsLine(summary.statistics) + "\nChecksum:    sha256 \(summary.dataChecksum) (from .backup-summary.json)"
    }

    /// One member as `tar -tv` prints it: `drwxr-xr-x 1000/1000      0 2024-01-31 12:00 path/`.
    static func memberLine(_ entry: TarEntry) -> String {
        let size = String(entry.kind.carriesContent ? entry.size : 0)
        let padded = String(repeating: " ", count: max(0, 10 - size.count)) + size
        var line = "\(modeString(entry)) \(entry.uid)/\(entry.gid) \(padded) \(localTime(entry.modificationTime)) "
        line += PathBytes.display(entry.path)
        switch entry.kind {
        case .directory: line += "/"
        case .symbolicLink: line += " -> " + PathBytes.display(entry.linkTarget)
        case .hardLink: line += " link to " + PathBytes.display(entry.linkTarget)
        default: break
        }
        return line
    }

    /// `ls -l`-style type and permissions (`h` for a hard link, as GNU tar prints it).
    static func modeString(_ entry: TarEntry) -> String {
        let type: Character
        switch entry.kind {
        case .regular: type = "-"
        case .directory: type = "d"
        case .symbolicLink: type = "l"
        case .hardLink: type = "h"
        case .characterDevice: type = "c"
        case .blockDevice: type = "b"
        case .fifo: type = "p"
        case .other: type = "?"
        }
        let mode = entry.mode
        func triple(_ shift: UInt32, special: UInt32, set: Character, unset: Character) -> String {
            let r: Character = mode & (0o4 << shift) != 0 ? "r" : "-"
            let w: Character = mode & (0o2 << shift) != 0 ? "w" : "-"
            let executable = mode & (0o1 << shift) != 0
            let x: Character = mode & special != 0 ? (executable ? set : unset) : (executable ? "x" : "-")
            return String([r, w, x])
        }
        return String(type) + triple(6, special: 0o4000, set: "s", unset: "S")
            + triple(3, special: 0o2000, set: "s", unset: "S") + triple(0, special: 0o1000, set: "t", unset: "T")
    }

    /// `YYYY-MM-DD HH:MM` in local time, as `tar -tv` prints it.
    static func localTime(_ seconds: Int64) -> String {
        var time = time_t(seconds)
        var parts = tm()
        guard localtime_r(&time, &parts) != nil, (0...9999).contains(parts.tm_year + 1900) else { return "????-??-?? ??:??" }
        // Digits by hand: String(format:) costs microseconds a member through Foundation.
        var bytes = [UInt8]()
        bytes.reserveCapacity(16)
        func append(_ value: Int32, width: Int) { EventTime.appendDigits(value, width: width, to: &bytes) }
        append(parts.tm_year + 1900, width: 4); bytes.append(UInt8(ascii: "-"))
        append(parts.tm_mon + 1, width: 2); bytes.append(UInt8(ascii: "-"))
        append(parts.tm_mday, width: 2); bytes.append(UInt8(ascii: " "))
        append(parts.tm_hour, width: 2); bytes.append(UInt8(ascii: ":"))
        append(parts.tm_min, width: 2)
        return String(decoding: bytes, as: UTF8.self)
    }
}
