import ArgumentParser
import Foundation
import SindriArchive
import SindriBackup
import SindriReporting

/// `sindri backup`: archive the home directory.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Back up the home directory into a .tar.gz archive.",
        discussion: """
            EXAMPLES:
              sindri backup
                  Standard backup into the current directory.
              sindri backup -p user-data -o ./backups/
                  User data only, auto-named in ./backups/.
              sindri backup --exclude '**/node_modules' --exclude-caches
                  Leave out more than the profile does.
              sindri backup --exclude-file ~/.sindriignore -x
                  Patterns from a file; stay on one filesystem.
              sindri backup --exclude-larger-than 1G --compression 9
                  Skip huge files, compress harder.
              sindri backup --dry-run -v
                  Each path marked + or -, with the rule that decided.
              sindri backup --json -o ./backups/ | jq .
                  Machine-readable progress and summary.
              sindri backup --recipient age1... -o ./backups/
                  Encrypted (.tar.gz.age); age -d -i key.txt also opens it.
              sindri backup --passphrase -o - > b.tar.gz.age
                  Passphrase-encrypted, asked twice; streamed to stdout.
              sindri backup -o - | gpg --symmetric > b.tar.gz.gpg
                  Stream the archive (JSON, if asked, goes to stderr).
              sindri backup --incremental -o ./backups/
                  Only what changed since the newest backup in ./backups/
                  (named ...-inc.tar.gz; a full backup when there is none).
              sindri backup -o s3://my-bucket/backups/
                  Upload to S3 (credentials from AWS_* or ~/.aws), auto-named.
              sindri backup -o s3://b/ws.tar.gz --s3-endpoint http://127.0.0.1:8333
                  Upload to an S3-compatible server (path-style addressing).

            On a terminal, a progress line on standard error shows elapsed
            time, percent, files and bytes done, input and output rates, ETA,
            errors and the current path. Exit status 3: completed with
            warnings (the archive is valid but incomplete); a dry run returns
            the status the real run would.
            """
    )

    @Option(name: .long, help: ArgumentHelp("The directory to back up (default: $SINDRI_HOME, else $HOME).", valueName: "dir"),
            completion: .directory)
    var home: String?

    @Option(name: [.short, .long], help: ArgumentHelp(
        "An existing directory (or a path ending in /) for an auto-named archive (never replacing one: -2, -3, ... is added), the archive's path, - for stdout, or s3://BUCKET/KEY.tar.gz or s3://BUCKET/PREFIX/.",
        valueName: "path"), completion: .file(extensions: ["gz", "tgz"]))
    var output: String = "."

    @Option(name: [.short, .long], help: "Backup profile: user-data, standard, full (default: $SINDRI_PROFILE, else standard).")
    var profile: BackupProfile?

    @OptionGroup(title: "Exclusions")
    var exclusions: ExclusionOptions

    @Flag(name: .long, help: "Show what would be archived without writing anything.")
    var dryRun = false

    @Option(name: .long, help: ArgumentHelp("Compression level 1-9 (default: $SINDRI_COMPRESSION, else 6).", valueName: "level"))
    var compression: Int?

    @OptionGroup(title: "Incremental")
    var incremental: IncrementalBackupOptions
    @OptionGroup(title: "Encryption")
    var encryption: EncryptionOptions

    @OptionGroup(title: "Output")
    var outputOptions: OutputOptions

    @OptionGroup(title: "S3 and HTTPS")
    var remote: RemoteOptions

    func validate() throws {
        if output.isEmpty {
            throw ValidationError("--output must not be empty: give a directory, a file name, or - for standard output")
        }
        if let compression, !(1...9).contains(compression) {
            throw ValidationError("compression level must be between 1 and 9, got \(compression)")
        }
    }

    func run() async throws {
        let toStandardOutput = output == "-"
        let reporter = Reporter(command: "backup", options: outputOptions, standardOutputCarriesData: toStandardOutput)
        let options = outputOptions
        let dryRun = self.dryRun
        let output = self.output
        let exclusions = self.exclusions
        let encryption = self.encryption
        let homeFlag = home, profileFlag = profile, compressionFlag = compression
        let incrementalOptions = incremental.options
        let identityFiles = incremental.identity
        let remoteAccess = remote.access
        try await CommandRunner.run(reporter: reporter) {
            let homePath = try SindriEnvironment.resolveHome(homeFlag)
            let profile = try SindriEnvironment.resolveProfile(profileFlag)
            let level = try SindriEnvironment.resolveCompression(compressionFlag)
            let recordDecisions = options.verbose || (dryRun && options.json)
            var config = try ArchiveConfig(profile: profile).withCompressionLevel(level)
            config.exclusions = try exclusions.configuration(recordDecisions: recordDecisions)
            config.incremental = incrementalOptions
            if !dryRun {
                let (chosen, passphrase) = try encryption.encryptionAndPassphrase()
                config.encryption = chosen
                if config.incremental != nil {
                    config.incremental?.keys = try DecryptionOptions.keys(
                        identityFiles: identityFiles, passphraseFile: nil, known: passphrase, name: "the base archive",
                        prompt: "Passphrase of the base archive: ", warn: { reporter.warning($0) })
                }
            }
            let builder = ArchiveBuilder(config)
            let destination = BackupOutput.parse(output, remote: remoteAccess)
            if dryRun {
                return try await Self.dryRun(builder: builder, home: homePath, destination: destination, reporter: reporter)
            }
            return try await Self.backUp(builder: builder, home: homePath, destination: destination, reporter: reporter)
        }
    }

    private static func dryRun(builder: ArchiveBuilder, home: String, destination: BackupOutput, reporter: Reporter) async throws -> ExitStatus {
        let started = Date()
        reporter.phase("scanning \(home) ...", delayed: true)
        let preview = try await builder.preview(home: home, output: destination)
        reporter.progressLine?.finish()
        if reporter.json {
            for event in preview.itemEvents { reporter.emit(event) }
        } else if reporter.verbose {
            for decision in preview.walk.decisions { reporter.item(decision.itemEvent(), text: decision.textLine) }
        }
        for warning in preview.walk.warnings { reporter.warning(warning) }
        Self.reportSkips(sockets: preview.walk.socketsSkipped, archives: preview.walk.archivesSkipped, reporter: reporter)
        let status: ExitStatus = preview.walk.warnings.isEmpty ? .success : .completedWithWarnings
        let walk = preview.walk
        let target = preview.archivePath ?? "standard output"
        var event = preview.summaryEvent(home: home, profile: builder.config.profile, startedAt: started, exitCode: status.rawValue)
        var text = "Dry run: would archive \(ProgressFormat.count(walk.regularFileCount, "file")), \(ByteCount.format(walk.regularFileBytes)) "
            + "(\(walk.entries.count) members) from \(home) with profile \(builder.config.profile.rawValue) to \(target); nothing written."
        if let incremental = preview.incremental {
            if let note = incremental.note { reporter.note("sindri: \(note)") }
            event = Self.incrementalSummary(event, incremental)
            if incremental.base != nil { text = Self.incrementalText(incremental, home: home, profile: builder.config.profile, target: target) }
        }
        reporter.summary(event, text: text + (walk.warnings.isEmpty ? "" : "\nsindri: \(walk.warnings.count) warning(s): the real run would complete with warnings (exit 3)"))
        return status
    }

    private static func backUp(builder: ArchiveBuilder, home: String, destination: BackupOutput, reporter: Reporter) async throws -> ExitStatus {
        let started = Date()
        let clock = ContinuousClock()
        let start = clock.now
        let wantsProgress = reporter.progressLine != nil || reporter.json
        reporter.phase("scanning \(home) ...", delayed: true)
        var callback: (@Sendable (BackupProgress) -> Void)?
        if wantsProgress {
            callback = { @Sendable (progress: BackupProgress) -> Void in
                let elapsed = clock.now - start
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                reporter.progress(ProgressSnapshot(progress, elapsed: seconds))
            }
        }
        let result = try await builder.create(home: home, output: destination, progress: callback)
        reporter.finalProgress(ProgressSnapshot(
            elapsed: result.durationSeconds, filesDone: result.fileCount, filesTotal: result.fileCount,
            bytesDone: result.totalBytes, bytesTotal: result.totalBytes, bytesOut: result.sizeBytes,
            errors: result.warnings.count))
        if reporter.verbose {
            for decision in result.decisions { reporter.item(decision.itemEvent(), text: decision.textLine) }
        }
        for note in result.notes { reporter.note("sindri: \(note)") }
        for warning in result.warnings { reporter.warning(warning) }
        Self.reportSkips(sockets: result.socketsSkipped, archives: result.archivesSkipped, reporter: reporter)
        let status: ExitStatus = result.warnings.isEmpty ? .success : .completedWithWarnings
        let place = result.archivePath ?? "standard output"
        let kind = result.manifest.base.map { "incremental on \($0.fileName)" } ?? "full"
        var text = String(format: "Backup created: %@ (%@, %@, %.1f s; %@)",
                          place, ProgressFormat.count(result.fileCount, "file"),
                          ProgressFormat.sizeChange(content: result.totalBytes, archive: result.sizeBytes), result.durationSeconds, kind)
        if !result.warnings.isEmpty {
            text += "\nsindri: completed with \(result.warnings.count) warning(s): the archive is valid but incomplete"
        }
        reporter.summary(result.summaryEvent(home: home, profile: builder.config.profile, startedAt: started, exitCode: status.rawValue), text: text)
        return status
    }
}

extension BackupCommand {
    /// Sockets and earlier archives left out: said once each on a terminal (not warnings, so
    /// the exit status stays 0); `--json` carries them in the summary's `details`.
    static func reportSkips(sockets: [[UInt8]], archives: [[UInt8]], reporter: Reporter) {
        if !sockets.isEmpty {
            let names = sockets.prefix(3).map { PathBytes.display($0) }.joined(separator: ", ") + (sockets.count > 3 ? ", ..." : "")
            reporter.note("sindri: \(sockets.count) socket(s) not archived (sockets cannot be; their programs recreate them): \(names)")
        }
        if !archives.isEmpty {
            let names = archives.prefix(3).map { PathBytes.display($0) }.joined(separator: ", ") + (archives.count > 3 ? ", ..." : "")
            reporter.note("sindri: \(archives.count) earlier sindri archive file(s) in the home not archived: \(names)")
        }
    }
}

/// Human-readable byte counts (binary units).
enum ByteCount {
    static func format(_ bytes: UInt64) -> String { ProgressFormat.bytes(bytes) }
}
