import Foundation
import SindriArchive
import SindriSystem

extension ArchiveBuilder {
    /// The base of an incremental backup, or nil for a full one, with what to tell the user when
    /// an incremental was asked for and a full backup is made instead.
    ///
    /// `--base ARCHIVE` must be usable: a missing or damaged one is an error (the user named
    /// it). `--incremental` alone takes the newest backup of the same source and profile in the
    /// output directory; when there is none, or it cannot be read, the backup is a full one.
    func incrementalBase(output: BackupOutput, source: SourceInfo) async throws -> (BaseArchive?, String?) {
        guard let options = config.incremental else { return (nil, nil) }
        let directory: String
        switch output {
        case .standardOutput:
            throw SindriError(.invalidArgument, "an incremental backup cannot be written to standard output: its base is found by the archive's checksum, which a stream does not record; use --output DIR")
        case .directory(let path): directory = path
        case .file(let path): directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        case .s3:
            // Bases are read from local files (their index member, by descriptor); an S3 prefix
            // as the place bases are found in is not built yet.
            throw SindriError(.invalidArgument, "incremental backups to S3 are not supported yet: write the incremental to a local directory (sindri backup --incremental -o DIR/), then copy it")
        }
        if let named = options.base {
            return (try await BlockingExecutor.shared.run { try BaseArchiveReader.read(named) }, nil)
        }
        let profile = config.profile
        guard let found = try await BlockingExecutor.shared.run({ BackupLocator.newestBase(in: directory, source: source, profile: profile) }) else {
            return (nil, "no earlier backup of \(source.instanceName.isEmpty ? "this home" : source.instanceName) with profile \(profile.rawValue) in \(directory): making a full backup")
        }
        do {
            return (try await BlockingExecutor.shared.run { try BaseArchiveReader.read(found.path) }, nil)
        } catch let error as SindriError {
            return (nil, "the newest backup \(found.path) cannot be a base (\(error.message)): making a full backup")
        }
    }

    /// `sindri-backup-NAME-TIME.tar.gz` -> `sindri-backup-NAME-TIME-inc.tar.gz`.
    static func incrementalName(_ path: String) -> String {
        path.hasSuffix(".tar.gz") ? String(path.dropLast(7)) + "-inc.tar.gz" : path
    }
}
