import SindriArchive

/// One block of the data region to build: its bounds and the members whose bytes fall in it.
public struct BlockPlan: Sendable {
    public var index: Int
    /// The block's first byte and end, in the data region.
    public var start: UInt64
    public var end: UInt64
    public var members: [PlannedMember]
}

/// A member as a block sees it.
public struct PlannedMember: Sendable {
    /// The member's index in the archive's order.
    public var index: Int
    public var entry: TarEntry
    /// Offset of its first header byte in the data region.
    public var offset: UInt64
    public var headerSize: UInt32
    /// The walk's `lstat` of it (nil: compare sizes only).
    public var stamp: FileStamp?
    /// How many blocks its content touches (the readers share one descriptor among them).
    public var blocksSpanned: Int

    /// Where its content starts and ends in the data region.
    public var contentRange: Range<UInt64> {
        let start = offset + UInt64(headerSize)
        return start..<(start + entry.size)
    }
}
