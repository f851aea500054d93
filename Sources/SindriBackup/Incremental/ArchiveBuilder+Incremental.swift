import Foundation
import SindriArchive
import SindriSystem

/// The base of an incremental as a backup first learns it: read whole already (a base named
/// with `--base`, a base on S3), or found by its manifest in the output directory with its
/// index still to read, which the backup reads side by side with its walk.
enum BaseChoice: Sendable {
    case read(BaseArchive)
    case found(path: String, keys: ArchiveDecryptionKeys, isEncrypted: Bool)

    var path: String {
        switch self {
        case .read(let base): return base.path
        case .found(let path, _, _): return path
        }
    }

    var isEncrypted: Bool {
        switch self {
        case .read(let base): return base.isEncrypted
        case .found(_, _, let isEncrypted): return isEncrypted
        }
    }

    /// The base's tree. A found base is read on a worker thread: the engine's I/O thread is
    /// walking the home meanwhile, and on a tree of tens of thousands of files each takes a
    /// good part of an incremental backup's time.
    ///
    /// - Throws: `UnusableBase` when the archive found cannot be read past its manifest.
    func archive() async throws -> BaseArchive {
        switch self {
        case .read(let base):
            return base
        case .found(let path, let keys, _):
            do {
                return try await BlockingExecutor.workers[0].run { try BaseArchiveReader.read(path, keys: keys) }
            } catch let error as SindriError {
                throw UnusableBase(note: "the newest backup \(path) cannot be a base (\(error.message)): making a full backup")
            }
        }
    }
}

/// The backup found as base turned out unreadable past its manifest: a full backup is made
/// instead, as when there is none, and `note` says why.
struct UnusableBase: Error {
    let note: String
}

extension ArchiveBuilder {
    /// The base of an incremental, or nil for a full backup, with what to tell the user when
    /// an incremental was asked for and a full backup is made instead. Reads the base whole
    /// (for `--dry-run`); a backup uses `locateBase` and reads the index during its walk.
    func incrementalBase(output: BackupOutput, source: SourceInfo) async throws -> (BaseArchive?, String?) {
        let (choice, note) = try await locateBase(output: output, source: source)
        guard let choice else { return (nil, note) }
        do {
            return (try await choice.archive(), note)
        } catch let unusable as UnusableBase {
            return (nil, unusable.note)
        }
    }

    /// The base of an incremental, or nil for a full one, with what to tell the user when an
    /// incremental was asked for and a full backup is made instead.
    ///
    /// `--base ARCHIVE` must be usable: a missing or damaged one is an error (the user named
    /// it), and it is read whole here. `--incremental` alone takes the newest backup of the same
    /// source and profile in the output directory, found by its manifest; when there is none
    /// the backup is a full one (and when its index cannot be read, see `UnusableBase`).
    func locateBase(output: BackupOutput, source: SourceInfo) async throws -> (BaseChoice?, String?) {
        guard let options = config.incremental else { return (nil, nil) }
        let directory: String
        switch output {
        case .standardOutput:
            throw SindriError(.invalidArgument, "an incremental backup cannot be written to standard output: its base is found by the archive's checksum, which a stream does not record; use --output DIR")
        case .directory(let path): directory = path
        case .file(let path): directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        case .s3(let argument, let remote):
            let (base, note) = try await s3Base(output: argument, remote: remote, named: options.base, source: source, keys: options.keys)
            return (base.map(BaseChoice.read), note)
        }
        let keys = options.keys
        if let named = options.base {
            return (.read(try await BlockingExecutor.shared.run { try BaseArchiveReader.read(named, keys: keys) }), nil)
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
        return (.found(path: found.path, keys: keys, isEncrypted: found.isEncrypted), locked.isEmpty ? nil : "the base is \(found.path)\(unopened)")
    }

    /// The base of an incremental written to S3: `--base` (an `s3://` object or a local file),
    /// else the newest backup of the same source and profile under the output's prefix, whose
    /// index is read with ranged GETs (see `S3BaseArchiveReader`).
    private func s3Base(
        output: String, remote: RemoteAccess, named: String?, source: SourceInfo, keys: ArchiveDecryptionKeys
    ) async throws -> (BaseArchive?, String?) {
        let profile = config.profile
        return try await BlockingExecutor.shared.run {
            let finder = BaseFinder(access: remote, keys: keys)
            if let named { return (try finder.read(named), nil) }
            let prefix = BaseFinder.container(of: output)
            guard let found = try finder.newestBase(under: prefix, source: source, profile: profile) else {
                return (nil, "no earlier backup of \(source.instanceName.isEmpty ? "this home" : source.instanceName) with profile \(profile.rawValue) in \(prefix): making a full backup")
            }
            do {
                return (try finder.read(found), nil)
            } catch let error as SindriError {
                return (nil, "the newest backup \(found) cannot be a base (\(error.message)): making a full backup")
            }
        }
    }

    /// `sindri-backup-NAME-TIME.tar.gz` -> `sindri-backup-NAME-TIME-inc.tar.gz`.
    static func incrementalName(_ path: String) -> String {
        path.hasSuffix(".tar.gz") ? String(path.dropLast(7)) + "-inc.tar.gz" : path
    }
}
