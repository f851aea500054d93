import SindriArchive

/// The tar writer's plan: every member's place in the data region of the tar stream.
///
/// Header sizes are a pure function of the entry, so a member's place is fixed as soon as the
/// members before it are known: the layout grows batch by batch as the walk finds entries, and
/// block `k` can be built the moment the layout reaches past its end, while the member order stays
/// the walk's deterministic order. Offsets never depend on how the walk was cut into batches, so
/// neither do the archive's bytes. A file's declared size is its size at walk time; the member
/// keeps it whatever happens to the file later (padded or truncated).
public struct TarLayout: Sendable {
    public private(set) var entries: [TarEntry] = []
    /// The walk's `lstat` per member (empty: the readers compare sizes only).
    public private(set) var stamps: [FileStamp] = []
    /// Offset of each member's first header byte, relative to the start of the data region.
    public private(set) var memberOffsets: [UInt64] = []
    /// Size of each member's header blocks (ustar, plus pax when needed).
    public private(set) var headerSizes: [UInt32] = []
    /// Total bytes of the members known so far (a multiple of 512).
    public private(set) var length: UInt64 = 0
    /// Whether the walk is over: no member follows the last one.
    public private(set) var isComplete = false

    /// An empty layout that grows with ``append(_:stamps:)``.
    public init() {}

    /// The complete layout of `entries`.
    public init(entries: [TarEntry], stamps: [FileStamp] = []) {
        append(entries, stamps: stamps)
        finish()
    }

    /// Adds members after the last one. `stamps` is empty or parallel to `entries`.
    public mutating func append(_ newEntries: [TarEntry], stamps newStamps: [FileStamp] = []) {
        precondition(!isComplete, "a complete layout does not grow")
        precondition(newStamps.isEmpty || newStamps.count == newEntries.count, "one stamp per entry")
        precondition(newStamps.isEmpty == stamps.isEmpty || entries.isEmpty, "stamps for all members or none")
        for entry in newEntries {
            memberOffsets.append(length)
            let header = UInt32(TarHeaderEncoder.encodedHeaderSize(entry))
            headerSizes.append(header)
            length += UInt64(header) + TarLayout.paddedSize(entry.size)
        }
        entries.append(contentsOf: newEntries)
        stamps.append(contentsOf: newStamps)
    }

    /// Marks the end of the walk: the last block may now be short.
    public mutating func finish() { isComplete = true }

    /// Content bytes rounded up to the 512-byte record.
    @inline(__always)
    public static func paddedSize(_ size: UInt64) -> UInt64 { (size + 511) & ~511 }

    /// Where member `index`'s content starts and ends in the data region.
    @inline(__always)
    public func contentRange(_ index: Int) -> Range<UInt64> {
        let start = memberOffsets[index] + UInt64(headerSizes[index])
        return start..<(start + entries[index].size)
    }

    /// The index of the member whose bytes (header, content or padding) contain `offset`.
    public func memberIndex(containing offset: UInt64) -> Int {
        var low = 0
        var high = memberOffsets.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if memberOffsets[mid] <= offset { low = mid } else { high = mid - 1 }
        }
        return low
    }

    /// How many blocks of `blockSize` the data region has; nil while the walk goes on.
    public func blockCount(blockSize: Int) -> Int? {
        guard isComplete else { return nil }
        return Int((length + UInt64(blockSize) - 1) / UInt64(blockSize))
    }

    /// Whether every member that block `index` holds is known. A member added later starts at or
    /// after `length`, so a block that ends at or before `length` is final.
    public func covers(block index: Int, blockSize: Int) -> Bool {
        let end = UInt64(index + 1) * UInt64(blockSize)
        if end <= length { return true }
        return isComplete && UInt64(index) * UInt64(blockSize) < length
    }

    /// What a reader needs to build block `index`: the members it touches, with their places.
    /// A plan holds only its own members, so a block in flight does not keep (or copy) the
    /// growing layout.
    public func plan(block index: Int, blockSize: Int) -> BlockPlan {
        precondition(covers(block: index, blockSize: blockSize), "block \(index) is not laid out yet")
        let start = UInt64(index) * UInt64(blockSize)
        let end = min(start + UInt64(blockSize), length)
        var members: [PlannedMember] = []
        var member = memberIndex(containing: start)
        while member < entries.count, memberOffsets[member] < end {
            let content = contentRange(member)
            members.append(PlannedMember(
                index: member, entry: entries[member], offset: memberOffsets[member], headerSize: headerSizes[member],
                stamp: member < stamps.count ? stamps[member] : nil,
                blocksSpanned: Self.blocksSpanned(content, blockSize: blockSize)))
            member += 1
        }
        return BlockPlan(index: index, start: start, end: end, members: members)
    }

    /// How many blocks a content range touches.
    static func blocksSpanned(_ content: Range<UInt64>, blockSize: Int) -> Int {
        guard !content.isEmpty else { return 0 }
        let size = UInt64(blockSize)
        return Int((content.upperBound - 1) / size - content.lowerBound / size + 1)
    }
}
