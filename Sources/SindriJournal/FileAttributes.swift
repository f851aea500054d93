/// The attributes of a directory that a restore may change and must be able to put back
/// exactly: permission bits, owner and modification time.
///
/// Recorded in a ``JournalStep/setAttributes(path:previous:)`` step *before* the change, so that
/// rollback can restore them (`fchmodat`, `fchownat`, `utimensat` with nanoseconds).
public struct FileAttributes: Sendable, Hashable, Codable {
    /// Permission bits including set-user-ID, set-group-ID and sticky (`st_mode & 0o7777`).
    public var mode: UInt32
    /// Owning user ID.
    public var uid: UInt32
    /// Owning group ID.
    public var gid: UInt32
    /// Modification time, whole seconds since the Unix epoch (may be negative).
    public var mtimeSeconds: Int64
    /// Modification time, nanoseconds within the second (`0..<1_000_000_000`).
    public var mtimeNanoseconds: UInt32

    /// Creates attributes from their `stat` values.
    public init(mode: UInt32, uid: UInt32, gid: UInt32, mtimeSeconds: Int64, mtimeNanoseconds: UInt32) {
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.mtimeSeconds = mtimeSeconds
        self.mtimeNanoseconds = mtimeNanoseconds
    }

    /// Whether the values can be given back to the kernel unchanged: only permission bits in
    /// `mode` and a nanosecond count below one second.
    public var isValid: Bool {
        mode & ~0o7777 == 0 && mtimeNanoseconds < 1_000_000_000
    }
}
