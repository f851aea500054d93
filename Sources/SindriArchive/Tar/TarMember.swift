/// A member as found in a tar stream: its resolved metadata and where it lies.
public struct TarMember: Sendable, Hashable {
    /// The metadata after pax records and GNU long names have been applied.
    public var entry: TarEntry
    /// Offset of the member's first header block (its pax or GNU long-name header when it has
    /// one) in the uncompressed stream.
    public var headerOffset: UInt64
    /// Offset of the member's first content byte in the uncompressed stream.
    public var contentOffset: UInt64

    /// Creates a member record.
    public init(entry: TarEntry, headerOffset: UInt64, contentOffset: UInt64) {
        self.entry = entry
        self.headerOffset = headerOffset
        self.contentOffset = contentOffset
    }
}
