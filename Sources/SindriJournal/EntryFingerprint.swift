/// What a restore put at a path, recorded with the `placeNew`/`replace` step that puts it there,
/// so that `sindri rollback` can tell "still exactly what the restore placed" (safe to remove)
/// from "changed or replaced since" (the user's data: kept).
///
/// Journals written before fingerprints existed have none; their entries count as changed, so a
/// rollback keeps them rather than guessing.
public struct EntryFingerprint: Sendable, Hashable, Codable {
    /// The entry's type.
    public enum Kind: String, Sendable, Hashable, Codable {
        case file, symlink, directory, other
    }

    public var kind: Kind
    /// `st_size`.
    public var size: UInt64
    /// Modification time, whole seconds since the Unix epoch.
    public var mtimeSeconds: Int64
    /// Modification time, nanoseconds within the second.
    public var mtimeNanoseconds: UInt32
    /// Permission bits (`st_mode & 0o7777`).
    public var mode: UInt32
    /// SHA256 of the content (files), lowercase hex.
    public var sha256: String?
    /// The link target (symlinks), as bytes.
    public var linkTarget: [UInt8]?

    /// Creates a fingerprint.
    public init(kind: Kind, size: UInt64, mtimeSeconds: Int64, mtimeNanoseconds: UInt32, mode: UInt32,
                sha256: String? = nil, linkTarget: [UInt8]? = nil) {
        self.kind = kind
        self.size = size
        self.mtimeSeconds = mtimeSeconds
        self.mtimeNanoseconds = mtimeNanoseconds
        self.mode = mode
        self.sha256 = sha256
        self.linkTarget = linkTarget
    }

    /// Whether the cheap attributes (everything but the content digest) are the same; when they
    /// are not, the content need not be read to know the entry changed.
    public func sameMetadata(as other: EntryFingerprint) -> Bool {
        kind == other.kind && size == other.size && mtimeSeconds == other.mtimeSeconds
            && mtimeNanoseconds == other.mtimeNanoseconds && mode == other.mode && linkTarget == other.linkTarget
    }

    /// Whether `current` (what is at the path now) is what was recorded. A recorded digest must
    /// be matched by the current one.
    public func matches(_ current: EntryFingerprint) -> Bool {
        guard sameMetadata(as: current) else { return false }
        if let sha256 { return current.sha256 == sha256 }
        return true
    }

    private enum CodingKeys: String, CodingKey {
        case kind, size, mtimeSeconds, mtimeNanoseconds, mode, sha256, target
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .kind)
        try container.encode(size, forKey: .size)
        try container.encode(mtimeSeconds, forKey: .mtimeSeconds)
        try container.encode(mtimeNanoseconds, forKey: .mtimeNanoseconds)
        try container.encode(mode, forKey: .mode)
        try container.encodeIfPresent(sha256, forKey: .sha256)
        try container.encodeIfPresent(linkTarget.map(JournalBase64.encode), forKey: .target)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        kind = try container.decode(Kind.self, forKey: .kind)
        size = try container.decode(UInt64.self, forKey: .size)
        mtimeSeconds = try container.decode(Int64.self, forKey: .mtimeSeconds)
        mtimeNanoseconds = try container.decode(UInt32.self, forKey: .mtimeNanoseconds)
        mode = try container.decode(UInt32.self, forKey: .mode)
        sha256 = try container.decodeIfPresent(String.self, forKey: .sha256)
        if let text = try container.decodeIfPresent(String.self, forKey: .target) {
            guard let bytes = JournalBase64.decode(text) else {
                throw DecodingError.dataCorruptedError(forKey: .target, in: container, debugDescription: "not valid base64")
            }
            linkTarget = bytes
        }
    }
}
