#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SindriSystem

/// Opens the destination a backup writes to, whatever kind of location `--output` names.
///
/// The one place that maps a `BackupOutput` to a sink, so every kind of destination gets the
/// same checks (no binary archive on a terminal, an existing directory for a file) and the
/// same naming.
public enum ArchiveSinks {
    /// Opens the sink for `output`; an automatic name is built from `instanceName` and `date`.
    ///
    /// - Throws: `SindriError` `.invalidArgument` when the destination cannot be used.
    /// An `incremental` backup's automatic name ends in `-inc.tar.gz`.
    static func open(for output: BackupOutput, instanceName: String, date: Date, incremental: Bool = false) async throws -> any ArchiveSink {
        if case .s3(let argument, let remote) = output {
            var name = ArchiveBuilder.automaticName(instanceName: instanceName, date: date)
            if incremental { name = ArchiveBuilder.incrementalName(name) }
            return try await S3MultipartSink.open(argument, remote: remote, automaticName: name)
        }
        var finalPath = try ArchiveBuilder.resolve(output, instanceName: instanceName, date: date)
        if incremental, case .directory = output { finalPath = finalPath.map(ArchiveBuilder.incrementalName) }
        if finalPath == nil, isatty(STDOUT_FILENO) == 1 {
            throw SindriError(.invalidArgument, "refusing to write a binary archive to a terminal; redirect stdout or use --output PATH")
        }
        let automaticName: Bool
        if case .directory = output { automaticName = true } else { automaticName = false }
        return try LocalArchiveSink(finalPath: finalPath, automaticName: automaticName)
    }
}
