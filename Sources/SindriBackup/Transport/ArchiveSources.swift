import SindriSystem
/// What opening an archive for reading may need besides its name: the settings of the remote
/// and encrypted sources (endpoints, credentials' origin, identities). Empty for local files.
///
/// One value is handed from the command line to every reader (restore, verify, list, bench),
/// so each source kind is configured in one place.
public struct ArchiveAccess: Sendable {
    /// S3 and HTTPS settings (`--s3-endpoint`, `--s3-path-style`, `--cacert`).
    public var remote = RemoteAccess()
    /// Keys for encrypted archives (recognized by their age header, whatever their name).
    public var decryption: ArchiveDecryptionKeys

    public init(decryption: ArchiveDecryptionKeys = ArchiveDecryptionKeys()) {
        self.decryption = decryption
    }
}

/// Opens the archive a command names, whatever kind of location that is.
///
/// The one place that maps an argument (`-`, a path, and the remote and encrypted kinds layered
/// on `ArchiveByteSource`) to a source, so restore, verify, list and bench accept the same
/// arguments.
public enum ArchiveSources {
    /// Opens `argument` for reading: `-` is standard input, anything else a local path; an age
    /// file is decrypted with the keys in `access`.
    ///
    /// - Throws: `SindriError` `.invalidArgument` when it cannot be opened or is no file.
    public static func open(_ argument: String, access: ArchiveAccess = ArchiveAccess()) throws -> any ArchiveByteSource {
        #if ObjectStorage
        if let remote = try RemoteByteSource.open(argument, access: access.remote) {
            return try EncryptedArchives.open(remote, keys: access.decryption)
        }
        #endif
        return try EncryptedArchives.open(try FileByteSource(path: argument), keys: access.decryption)
    }
}
