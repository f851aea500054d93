import ArgumentParser
import Foundation
import SindriBackup
import SindriReporting

/// `sindri prune-uploads`: abort the unfinished multipart uploads under an S3 prefix.
struct PruneUploadsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune-uploads",
        abstract: "Abort the unfinished S3 uploads that interrupted backups left under a prefix.",
        discussion: """
            A backup that was killed (SIGKILL, power loss) cannot abort its multipart upload: its parts stay on the server, invisible but stored, until the upload is aborted. Every backup to a prefix aborts the ones there that uploaded nothing for 10 minutes; this command aborts them now. Without --older-than it aborts every unfinished upload under the prefix, so a backup still running to it would fail: run it when none is.

            EXAMPLES:
              sindri prune-uploads s3://my-bucket/backups/
              sindri prune-uploads s3://my-bucket/ --older-than 3600
            """
    )

    @Argument(help: ArgumentHelp("The prefix: s3://BUCKET/PREFIX/.", valueName: "location"))
    var location: String

    @Option(name: .long, help: ArgumentHelp("Only uploads with no activity for this many seconds (default: 0, all).", valueName: "seconds"))
    var olderThan: Int = 0

    @OptionGroup(title: "Output")
    var outputOptions: ArchiveReadingOutputOptions

    @OptionGroup(title: "S3 and HTTPS")
    var remote: RemoteOptions

    func validate() throws {
        guard location.lowercased().hasPrefix("s3://") else {
            throw ValidationError("prune-uploads works on s3:// locations, not \(location)")
        }
        guard olderThan >= 0 else { throw ValidationError("--older-than must not be negative") }
    }

    func run() async throws {
        let reporter = Reporter(command: "prune-uploads", options: outputOptions.shared)
        let location = self.location, access = remote.access, olderThan = self.olderThan
        try await CommandRunner.run(reporter: reporter) {
            let started = Date()
            let lines = try await S3UploadJanitor.prune(location, access: access, olderThan: TimeInterval(olderThan))
            for line in lines {
                reporter.item(.item(SindriEvent.Item(action: "abort", path: location, message: line)), text: line)
            }
            var summary = SindriEvent.Summary(command: "prune-uploads")
            summary.durationSeconds = Date().timeIntervalSince(started)
            summary.details = .object(["aborted": .integer(Int64(lines.count))])
            reporter.summary(.summary(summary), text: "\(lines.isEmpty ? "No" : String(lines.count)) unfinished upload(s) aborted under \(location)")
            return .success
        }
    }
}
