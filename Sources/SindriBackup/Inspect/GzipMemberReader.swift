import SindriCodecs

/// Reads an archive's gzip stream member by member from an `ArchiveByteSource`: the one place
/// that buffers the input, keeps the absolute offsets messages name, and recognizes the members
/// our writer frames (a stored manifest member, then block members whose gzip FEXTRA records
/// their sizes).
///
/// Restore and verify (`ArchiveInflater`) cut whole members out of it to inflate them in
/// parallel; list (`ArchiveLister`) steps over the data blocks it does not need. Anything not
/// framed by us is handed to zlib's streaming decoder from the cursor on, through
/// ``withAvailable(upTo:_:)`` and ``advance(_:)``. Blocking reads: the caller runs on the
/// engine's blocking-I/O thread.
final class GzipMemberReader {
    /// What starts at the cursor.
    enum Framing: Equatable {
        /// One of our members: `length` compressed bytes inflating to `uncompressed`; `kind` is
        /// nil for the stored manifest member.
        case member(length: Int, uncompressed: Int, kind: BlockMemberKind?)
        /// Not framed by us (another tool's gzip, or damage zlib will name).
        case foreign
        /// The input ended.
        case end
    }

    /// What the stored-member check needs more of (only inside ``storedMember(_:)``).
    enum StoredFraming: Equatable { case member(length: Int, uncompressed: Int), needMore, foreign }

    let source: any ArchiveByteSource
    var name: String { source.name }
    /// Largest member our framing accepts at all (larger is left to the streaming decoder).
    static let maximumMember = BlockMemberCompressor.maximumBlockSize

    private var buffer: [UInt8] = []
    /// First unread byte in `buffer`.
    private var start = 0
    /// Absolute offset of `buffer[0]`.
    private var consumedBefore = 0
    private(set) var endOfInput = false

    init(source: any ArchiveByteSource) {
        self.source = source
    }

    /// Absolute offset of the next unread byte (bytes read, taken and skipped so far).
    var offset: Int { consumedBefore + start }

    /// Bytes buffered after the cursor.
    var availableCount: Int { buffer.count - start }

    /// Reads until at least `minimum` bytes follow the cursor, or the input ends. Bytes before
    /// the cursor are dropped here, and only here.
    func fill(minimum: Int) throws {
        guard availableCount < minimum, !endOfInput else { return }
        if start > 0 {
            buffer.removeFirst(start)
            consumedBefore += start
            start = 0
        }
        while availableCount < minimum, !endOfInput {
            let old = buffer.count
            let want = max(1 << 20, minimum - availableCount)
            buffer.append(contentsOf: repeatElement(0, count: want))
            let count = try buffer.withUnsafeMutableBytes { raw -> Int in
                try source.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[old...]))
            }
            buffer.removeLast(want - count)
            if count == 0 { endOfInput = true }
        }
    }

    /// Recognizes the member at the cursor, reading as much as that takes. `allowStored`: the
    /// first member may be our stored manifest member.
    func peekMember(allowStored: Bool) throws -> Framing {
        try fill(minimum: BlockMemberHeader.size)
        if availableCount == 0 { return .end }
        if let header = buffer.withUnsafeBytes({ BlockMemberHeader.parse(UnsafeRawBufferPointer(rebasing: $0[start...])) }) {
            guard header.compressedLength <= Self.maximumMember * 2, header.uncompressedLength <= Self.maximumMember else { return .foreign }
            return .member(length: header.compressedLength, uncompressed: header.uncompressedLength, kind: header.kind)
        }
        guard allowStored else { return .foreign }
        var framing = buffer.withUnsafeBytes { Self.storedMember(UnsafeRawBufferPointer(rebasing: $0[start...])) }
        if framing == .needMore {
            try fill(minimum: Self.maximumMember + 16)
            framing = buffer.withUnsafeBytes { Self.storedMember(UnsafeRawBufferPointer(rebasing: $0[start...])) }
        }
        guard case .member(let length, let uncompressed) = framing else { return .foreign }
        return .member(length: length, uncompressed: uncompressed, kind: nil)
    }

    /// The block member header at absolute `position`, if those bytes are still buffered.
    func blockHeader(at position: Int) -> BlockMemberHeader? {
        let index = position - consumedBefore
        guard index >= 0, index + BlockMemberHeader.size <= buffer.count else { return nil }
        return buffer.withUnsafeBytes { BlockMemberHeader.parse(UnsafeRawBufferPointer(rebasing: $0[index...])) }
    }

    /// Copies the next `length` bytes out and moves past them; nil (nothing consumed) when the
    /// input ends first.
    func take(_ length: Int) throws -> [UInt8]? {
        try fill(minimum: length)
        guard availableCount >= length else { return nil }
        let bytes = Array(buffer[start..<(start + length)])
        start += length
        return bytes
    }

    /// Moves `length` bytes forward without keeping them, seeking past what is not buffered
    /// when the source can; returns how many there were (less when the input ended first).
    func skip(_ length: Int) throws -> Int {
        let buffered = min(length, availableCount)
        start += buffered
        guard length > buffered else { return length }
        consumedBefore += buffer.count
        buffer.removeAll(keepingCapacity: true)
        start = 0
        let skipped = try source.skip(length - buffered)
        consumedBefore += skipped
        if skipped < length - buffered { endOfInput = true }
        return buffered + skipped
    }

    /// Calls `body` with up to `count` buffered bytes at the cursor (fewer when fewer are
    /// buffered: call ``fill(minimum:)`` first). The cursor does not move.
    func withAvailable<R>(upTo count: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let end = start + min(count, availableCount)
        return try buffer.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[start..<end])) }
    }

    /// Moves the cursor past `count` buffered bytes.
    func advance(_ count: Int) {
        precondition(count <= availableCount, "advanced past the buffered input")
        start += count
    }

    /// The length of a gzip member made only of byte-aligned stored deflate blocks (our manifest member).
    ///
    /// Its decoded size is the sum of the stored blocks, never the trailer's ISIZE, which a
    /// damaged or hostile member can set to 4 GiB and make us allocate that much; libdeflate
    /// still checks ISIZE against what it decoded.
    static func storedMember(_ bytes: UnsafeRawBufferPointer) -> StoredFraming {
        guard bytes.count >= 10 else { return .needMore }
        guard bytes[0] == 0x1F, bytes[1] == 0x8B, bytes[2] == 8, bytes[3] == 0 else { return .foreign }
        var position = 10
        var stored = 0
        while true {
            guard bytes.count >= position + 5 else { return .needMore }
            let header = bytes[position]
            guard header <= 1 else { return .foreign }
            let length = Int(bytes[position + 1]) | Int(bytes[position + 2]) << 8
            let inverse = Int(bytes[position + 3]) | Int(bytes[position + 4]) << 8
            guard length == (~inverse & 0xFFFF) else { return .foreign }
            position += 5 + length
            stored += length
            if position > maximumMember { return .foreign }
            if header == 1 { break }
        }
        guard bytes.count >= position + 8 else { return .needMore }
        return .member(length: position + 8, uncompressed: stored)
    }
}
