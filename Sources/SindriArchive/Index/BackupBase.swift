/// The archive an incremental backup was made against (the manifest's `base` object): the
/// chain is a linked list that can be checked from its newest archive.
public struct BackupBase: Codable, Sendable, Equatable {
    /// The base's data checksum (its manifest's `checksum.value`).
    public var checksum: String
    /// The base's `created_at`.
    public var createdAt: String
    /// The base's file name when the incremental was made (a hint: bases are found by checksum).
    public var fileName: String

    public init(checksum: String, createdAt: String, fileName: String) {
        self.checksum = checksum
        self.createdAt = createdAt
        self.fileName = fileName
    }

    enum CodingKeys: String, CodingKey {
        case checksum, createdAt = "created_at", fileName = "file_name"
    }
}

/// The manifest format version of incremental archives. Its major differs from full archives'
/// so that a sindri that does not know chains refuses an incremental (which alone holds only
/// the changed files) instead of restoring part of a tree as if it were all of it.
public let INCREMENTAL_MANIFEST_VERSION = "2.0.0"

/// The `backup_type` of an incremental archive (a full archive's is its profile's name).
public let INCREMENTAL_BACKUP_TYPE = "incremental"

extension BackupManifest {
    /// Whether this archive needs its chain of bases to restore.
    public var isIncremental: Bool { backupType == INCREMENTAL_BACKUP_TYPE }
}
