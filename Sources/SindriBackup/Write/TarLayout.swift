import SindriArchive

/// The tar writer's plan: every member's place in the data region of the tar stream.
///
/// Header sizes are a pure function of the entry, so the whole stream's layout is fixed before
/// a byte is read. That is what lets block workers build any 1 MiB block independently while
/// the member order stays the walk's deterministic order. A file's declared size is its size
/// at walk time; the member keeps it whatever happens to the file later (padded or truncated).
public struct TarLayout: Sendable {
    public let entries: [TarEntry]
    /// Offset of each member's first header byte, relative to the start of the data region.
    public let memberOffsets: [UInt64]
    /// Size of each member's header blocks (ustar, plus pax when needed).
    public let headerSizes: [UInt32]
    /// Total bytes of all data members (a multiple of 512).
    public let length: UInt64

    public init(entries: [TarEntry]) {
        var offsets: [UInt64] = []
        var headers: [UInt32] = []
        offsets.reserveCapacity(entries.count)
        headers.reserveCapacity(entries.count)
        var cursor: UInt64 = 0
        for entry in entries {
            offsets.append(cursor)
            let header = UInt32(TarHeaderEncoder.encodedHeaderSize(entry))
            headers.append(header)
            cursor += UInt64(header) + TarLayout.paddedSize(entry.size)
        }
        self.entries = entries
        self.memberOffsets = offsets
        self.headerSizes = headers
        self.length = cursor
    }

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
}
