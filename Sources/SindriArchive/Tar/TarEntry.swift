/// One tar member's metadata, independent of how it is encoded (ustar, pax or GNU).
///
/// Paths are raw bytes: file names on Linux need not be UTF-8, and a backup must restore the
/// exact name it saw. The path is relative, has no leading `./` and no trailing `/` (the encoder
/// adds the trailing slash of directories, like GNU tar). The reader reports the stored name
/// with trailing slashes removed and does not judge its safety (`..`, absolute paths): that is
/// the restore layer's job. Neither the path nor the link target may contain NUL (file names
/// never do; the encoder checks it as a precondition, the reader rejects it).
public struct TarEntry: Sendable, Hashable {
    /// The member's path, as bytes.
    public var path: [UInt8]
    /// What kind of file the member is.
    public var kind: TarEntryKind
    /// Permission bits, including setuid, setgid and sticky (the low 12 bits; higher bits are ignored).
    public var mode: UInt32
    /// Numeric owner.
    public var uid: UInt32
    /// Numeric group.
    public var gid: UInt32
    /// Number of content bytes following the header; 0 for kinds that carry no content.
    public var size: UInt64
    /// Modification time in whole seconds since the epoch; negative for dates before 1970.
    public var modificationTime: Int64
    /// The target of a symbolic link, or the earlier member a hard link points to; empty otherwise.
    public var linkTarget: [UInt8]
    /// Device major number of a character or block device.
    public var deviceMajor: UInt32
    /// Device minor number of a character or block device.
    public var deviceMinor: UInt32

    /// Creates an entry; everything but the path and kind defaults to zero or empty.
    public init(
        path: [UInt8],
        kind: TarEntryKind,
        mode: UInt32 = 0o644,
        uid: UInt32 = 0,
        gid: UInt32 = 0,
        size: UInt64 = 0,
        modificationTime: Int64 = 0,
        linkTarget: [UInt8] = [],
        deviceMajor: UInt32 = 0,
        deviceMinor: UInt32 = 0
    ) {
        self.path = path
        self.kind = kind
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.size = size
        self.modificationTime = modificationTime
        self.linkTarget = linkTarget
        self.deviceMajor = deviceMajor
        self.deviceMinor = deviceMinor
    }
}
