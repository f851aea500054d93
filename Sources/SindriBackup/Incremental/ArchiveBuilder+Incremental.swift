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
        let keys = options.keys
        if let named = options.base {
            return (try await BlockingExecutor.shared.run { try BaseArchiveReader.read(named, keys: keys) }, nil)
        }
        let profile = config.profile
        let (newest, locked) = try await BlockingExecutor.shared.run {
            BackupLocator.newestBase(in: directory, source: source, profile: profile, keys: keys)
        }
        // An encrypted archive newer than the base found may be the true base: making the
        // incremental against an older one (or a full backup) without a word would surprise.
        if let first = locked.first(where: \.needsKey) {
            let option = first.needsPassphrase ? "the passphrase (--passphrase-file FILE or SINDRI_PASSPHRASE_FILE)" : "--identity FILE (or SINDRI_IDENTITY_FILE)"
            throw SindriError(.invalidArgument, "\(first.path) is encrypted and may be the newest base: give \(option) so --incremental can read its index, or name the base with --base ARCHIVE", path: first.path)
        }
        let unopened = locked.isEmpty ? "" : " (\(locked.count) newer encrypted archive(s) there cannot be opened with the keys given)"
        guard let found = newest else {
            return (nil, "no earlier backup of \(source.instanceName.isEmpty ? "this home" : source.instanceName) with profile \(profile.rawValue) in \(directory)\(unopened): making a full backup")
        }
        do {
            let base = try await BlockingExecutor.shared.run { try BaseArchiveReader.read(found.path, keys: keys) }
            return (base, locked.isEmpty ? nil : "the base is \(found.path)\(unopened)")
        } catch let error as SindriError {
            return (nil, "the newest backup \(found.path) cannot be a base (\(error.message)): making a full backup")
        }
    }

    /// `sindri-backup-NAME-TIME.tar.gz` -> `sindri-backup-NAME-TIME-inc.tar.gz`.
    static func incrementalName(_ path: String) -> String {
        path.hasSuffix(".tar.gz") ? String(path.dropLast(7)) + "-inc.tar.gz" : path
    }
}
