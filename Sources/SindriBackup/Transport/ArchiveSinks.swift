#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SindriSystem
import SindriAge

/// Opens the destination a backup writes to, whatever kind of location `--output` names.
///
/// The one place that maps a `BackupOutput` to a sink, so every kind of destination gets the
/// same checks (no binary archive on a terminal, an existing directory for a file) and the
/// same naming.
public enum ArchiveSinks {
    /// Opens the sink for `output`; an automatic name is built from `instanceName` and `date`
    /// (ending `.tar.gz.age` when `encryption` is given: the sink then encrypts).
    ///
    /// - Throws: `SindriError` `.invalidArgument` when the destination cannot be used.
    /// An `incremental` backup's automatic name ends in `-inc.tar.gz`; an encrypted one (when
    /// `encryption` is given: the sink then encrypts) in `.age`.
    static func open(
        for output: BackupOutput, instanceName: String, date: Date, incremental: Bool = false,
        encryption: ArchiveEncryption? = nil
    ) async throws -> any ArchiveSink {
        if case .s3(let argument, let remote) = output {
            #if ObjectStorage
            var name = ArchiveBuilder.automaticName(instanceName: instanceName, date: date)
            if incremental { name = ArchiveBuilder.incrementalName(name) }
            if encryption != nil { name += ".age" }
            let sink = try await S3MultipartSink.open(argument, remote: remote, automaticName: name)
            return try encrypting(sink, encryption)
            #else
            _ = (argument, remote)
            throw SindriError(.invalidArgument, "this build of sindri has no S3 support (built without the ObjectStorage trait)")
            #endif
        }
        var finalPath = try ArchiveBuilder.resolve(output, instanceName: instanceName, date: date)
        if incremental, case .directory = output { finalPath = finalPath.map(ArchiveBuilder.incrementalName) }
        if encryption != nil, case .directory = output { finalPath = finalPath.map { $0 + ".age" } }
        if finalPath == nil, isatty(STDOUT_FILENO) == 1 {
            throw SindriError(.invalidArgument, "refusing to write a binary archive to a terminal; redirect stdout or use --output PATH")
        }
        let automaticName: Bool
        if case .directory = output { automaticName = true } else { automaticName = false }
        return try encrypting(try LocalArchiveSink(finalPath: finalPath, automaticName: automaticName), encryption)
    }

    /// `sink` itself, or an age-encrypting sink around it when `encryption` is given.
    private static func encrypting(_ sink: any ArchiveSink, _ encryption: ArchiveEncryption?) throws -> any ArchiveSink {
        guard let encryption else { return sink }
        do {
            return EncryptingArchiveSink(inner: sink, encryptor: try AgeEncryptor(recipients: encryption.recipients))
        } catch {
            sink.abort()
            throw SindriError(.invalidArgument, "cannot encrypt: \(error)")
        }
    }
}
