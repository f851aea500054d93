/// A strict, streaming tar parser for untrusted input.
///
/// Feed it the uncompressed stream in chunks of any size with `consume`; it reports members,
/// their content and the end of the archive through a handler, holding at most one header block
/// and one bounded metadata record (pax header, GNU long name) in memory. Content is never
/// buffered: each `.content` event is a slice of the chunk that was passed in.
///
/// It reads POSIX ustar, pax (`'x'` records `path`, `linkpath`, `size`, `uid`, `gid`, `mtime`),
/// GNU (`././@LongLink` `'L'`/`'K'`, base-256 numbers, `"ustar  \0"` magic) and v7 headers.
/// Pax global headers (`'g'`) are validated and skipped when they carry only keywords that do
/// not affect members (comments, as `git archive` writes); one that sets a member keyword is
/// refused, since this project's writer never emits them and applying them silently to every
/// later member is a known source of confusion between tools.
///
/// Anything malformed or ambiguous throws a `TarFormatError` naming the stream offset; after
/// that, every call throws the same error. Path safety (`..`, absolute paths) is not judged
/// here: names are reported byte for byte (only trailing slashes are removed).
public struct TarReader: Sendable {
    /// Caps on the metadata the reader buffers, so a hostile header cannot make it allocate much.
    public struct Limits: Sendable, Hashable {
        /// Largest pax extended (`'x'`) or global (`'g'`) header data accepted.
        public var maximumPaxHeaderSize: UInt64
        /// Largest GNU long name or long link (`'L'`/`'K'`) data accepted.
        public var maximumLongNameSize: UInt64

        /// The default caps: 1 MiB of pax records, 64 KiB of long name.
        public init(maximumPaxHeaderSize: UInt64 = 1 << 20, maximumLongNameSize: UInt64 = 64 << 10) {
            self.maximumPaxHeaderSize = maximumPaxHeaderSize
            self.maximumLongNameSize = maximumLongNameSize
        }
    }

    private enum Phase: Sendable {
        /// Collecting a header block.
        case header
        /// Delivering a member's content.
        case content(remaining: UInt64, padding: Int)
        /// Collecting the data of a `'L'`, `'K'`, `'x'` or `'g'` header.
        case metadata(typeflag: UInt8, remaining: Int, padding: Int, headerOffset: UInt64)
        /// Skipping the zero padding that completes a block.
        case padding(remaining: Int)
        /// The end-of-archive marker was read; only zero bytes may follow.
        case endOfArchive
    }

    /// Metadata headers read since the last member, waiting for the header they apply to.
    private struct PendingExtensions: Sendable {
        var firstHeaderOffset: UInt64?
        var firstTypeflag: UInt8 = 0
        var longName: [UInt8]?
        var longLink: [UInt8]?
        var pax: TarPaxOverrides?
    }

    /// The caps in force.
    public let limits: Limits
    /// Number of bytes consumed so far: the stream offset of the next byte.
    public private(set) var offset: UInt64 = 0

    private var phase: Phase = .header
    private var headerBuffer: [UInt8] = []
    private var metadataBuffer: [UInt8] = []
    private var pending = PendingExtensions()
    private var zeroBlockOffset: UInt64?
    private var failure: TarFormatError?

    /// Creates a reader positioned at the start of a tar stream.
    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Whether the end-of-archive marker has been read.
    public var isAtEndOfArchive: Bool {
        if case .endOfArchive = phase { return true }
        return false
    }

    /// Parses the next chunk of the stream, calling `handler` for each event it completes.
    ///
    /// The handler's errors propagate unchanged; after one, discard the reader (it cannot know
    /// how much of the chunk was used).
    ///
    /// - Throws: `TarFormatError` for malformed input (see `TarFormatError.Kind`).
    public mutating func consume(_ bytes: UnsafeRawBufferPointer, _ handler: (TarEvent) throws -> Void) throws {
        if let failure { throw failure }
        do {
            try consumeChecked(bytes, handler)
        } catch let error as TarFormatError {
            failure = error
            throw error
        }
    }

    /// Parses the next chunk of the stream given as an array; see the pointer variant.
    public mutating func consume(_ bytes: [UInt8], _ handler: (TarEvent) throws -> Void) throws {
        try bytes.withUnsafeBytes { buffer in try consume(buffer, handler) }
    }

    /// Declares the end of input.
    ///
    /// - Throws: `.truncated` when the stream ended inside a member or a header, or before the
    ///   end-of-archive marker (two zero blocks); the error a previous call threw, if any.
    public mutating func finish() throws {
        if let failure { throw failure }
        guard case .endOfArchive = phase else {
            let error = TarFormatError(.truncated, at: offset)
            failure = error
            throw error
        }
    }

    // MARK: Parsing

    private mutating func consumeChecked(_ bytes: UnsafeRawBufferPointer, _ handler: (TarEvent) throws -> Void) throws {
        var cursor = 0
        let count = bytes.count
        while cursor < count {
            let available = count - cursor
            switch phase {
            case .header:
                if headerBuffer.isEmpty && available >= TarUstarField.blockSize {
                    let block = UnsafeRawBufferPointer(rebasing: bytes[cursor..<(cursor + TarUstarField.blockSize)])
                    let blockOffset = offset
                    cursor += TarUstarField.blockSize
                    offset += UInt64(TarUstarField.blockSize)
                    try processHeader(block, at: blockOffset, handler)
                } else {
                    let taken = min(TarUstarField.blockSize - headerBuffer.count, available)
                    headerBuffer.append(contentsOf: bytes[cursor..<(cursor + taken)])
                    cursor += taken
                    offset += UInt64(taken)
                    if headerBuffer.count == TarUstarField.blockSize {
                        let block = headerBuffer
                        headerBuffer.removeAll(keepingCapacity: true)
                        try block.withUnsafeBytes { block in
                            try processHeader(block, at: offset - UInt64(TarUstarField.blockSize), handler)
                        }
                    }
                }

            case .content(let remaining, let padding):
                let taken = Int(min(remaining, UInt64(available)))
                let slice = UnsafeRawBufferPointer(rebasing: bytes[cursor..<(cursor + taken)])
                cursor += taken
                offset += UInt64(taken)
                let left = remaining - UInt64(taken)
                phase = left > 0 ? .content(remaining: left, padding: padding) : Self.afterData(padding: padding)
                try handler(.content(slice))
                if left == 0 { try handler(.endOfEntry) }

            case .metadata(let typeflag, let remaining, let padding, let headerOffset):
                let taken = min(remaining, available)
                metadataBuffer.append(contentsOf: bytes[cursor..<(cursor + taken)])
                cursor += taken
                offset += UInt64(taken)
                if taken == remaining {
                    phase = Self.afterData(padding: padding)
                    try finishMetadata(typeflag: typeflag, headerOffset: headerOffset)
                } else {
                    phase = .metadata(typeflag: typeflag, remaining: remaining - taken, padding: padding, headerOffset: headerOffset)
                }

            case .padding(let remaining):
                // Padding content is not checked, like GNU tar: some writers leave garbage there.
                let taken = min(remaining, available)
                cursor += taken
                offset += UInt64(taken)
                phase = taken == remaining ? .header : .padding(remaining: remaining - taken)

            case .endOfArchive:
                for index in cursor..<count where bytes[index] != 0 {
                    throw TarFormatError(.trailingData, at: offset + UInt64(index - cursor))
                }
                offset += UInt64(available)
                cursor = count
            }
        }
    }

    private static func afterData(padding: Int) -> Phase {
        padding > 0 ? .padding(remaining: padding) : .header
    }

    private mutating func processHeader(
        _ block: UnsafeRawBufferPointer, at blockOffset: UInt64, _ handler: (TarEvent) throws -> Void
    ) throws {
        if TarHeaderBlock.isZero(block) {
            if zeroBlockOffset != nil {
                phase = .endOfArchive
                try handler(.endOfArchive)
                return
            }
            if pending.firstHeaderOffset != nil {
                throw TarFormatError(.orphanExtendedHeader(typeflag: pending.firstTypeflag), at: blockOffset)
            }
            zeroBlockOffset = blockOffset
            return
        }
        if zeroBlockOffset != nil {
            throw TarFormatError(.loneZeroBlock, at: blockOffset)
        }

        let header = try TarHeaderBlock(block, offset: blockOffset)
        switch header.typeflag {
        case UInt8(ascii: "L"), UInt8(ascii: "K"):
            guard header.size <= limits.maximumLongNameSize, let size = Int(exactly: header.size) else {
                throw TarFormatError(.nameTooLong(size: header.size), at: blockOffset)
            }
            let alreadySet = header.typeflag == UInt8(ascii: "L") ? pending.longName != nil : pending.longLink != nil
            try beginMetadata(header, size: size, at: blockOffset, duplicate: alreadySet)
        case UInt8(ascii: "x"), UInt8(ascii: "g"):
            guard header.size <= limits.maximumPaxHeaderSize, let size = Int(exactly: header.size) else {
                throw TarFormatError(.paxHeaderTooLarge(size: header.size), at: blockOffset)
            }
            let duplicate = header.typeflag == UInt8(ascii: "x") && pending.pax != nil
            try beginMetadata(header, size: size, at: blockOffset, duplicate: duplicate)
        case UInt8(ascii: "S"), UInt8(ascii: "M"), UInt8(ascii: "N"), UInt8(ascii: "V"), UInt8(ascii: "D"):
            throw TarFormatError(.unsupportedHeader(typeflag: header.typeflag), at: blockOffset)
        default:
            let member = try resolveMember(header, at: blockOffset)
            pending = PendingExtensions()
            let size = member.entry.size
            if size == 0 {
                phase = .header
                try handler(.entry(member))
                try handler(.endOfEntry)
            } else {
                phase = .content(remaining: size, padding: TarHeaderEncoder.paddingCount(forSize: size))
                try handler(.entry(member))
            }
        }
    }

    private mutating func beginMetadata(
        _ header: TarHeaderBlock, size: Int, at blockOffset: UInt64, duplicate: Bool
    ) throws(TarFormatError) {
        if duplicate {
            throw TarFormatError(.duplicateExtendedHeader(typeflag: header.typeflag), at: blockOffset)
        }
        let isGlobal = header.typeflag == UInt8(ascii: "g")
        if !isGlobal && pending.firstHeaderOffset == nil {
            pending.firstHeaderOffset = blockOffset
            pending.firstTypeflag = header.typeflag
        }
        metadataBuffer.removeAll(keepingCapacity: true)
        // Reserve only what a typical header needs: the declared size is checked against the
        // limit, but the data may never arrive.
        metadataBuffer.reserveCapacity(min(size, 64 << 10))
        let padding = TarHeaderEncoder.paddingCount(forSize: header.size)
        phase = .metadata(typeflag: header.typeflag, remaining: size, padding: padding, headerOffset: blockOffset)
        if size == 0 {
            phase = .header
            try finishMetadata(typeflag: header.typeflag, headerOffset: blockOffset)
        }
    }

    private mutating func finishMetadata(typeflag: UInt8, headerOffset: UInt64) throws(TarFormatError) {
        switch typeflag {
        case UInt8(ascii: "L"):
            pending.longName = try Self.longNameValue(metadataBuffer, offset: headerOffset)
        case UInt8(ascii: "K"):
            pending.longLink = try Self.longNameValue(metadataBuffer, offset: headerOffset)
        case UInt8(ascii: "x"):
            pending.pax = try TarPaxRecords.parseExtended(metadataBuffer, offset: headerOffset)
        default:
            try TarPaxRecords.validateGlobal(metadataBuffer, offset: headerOffset)
        }
        if metadataBuffer.capacity > 64 << 10 {
            metadataBuffer = []  // do not keep a large buffer alive for the rest of the stream
        }
    }

    /// A GNU long name: the bytes before the terminating NUL; only NULs may follow it.
    private static func longNameValue(_ data: [UInt8], offset: UInt64) throws(TarFormatError) -> [UInt8] {
        guard let end = data.firstIndex(of: 0) else { return data }
        guard data[end...].allSatisfy({ $0 == 0 }) else { throw TarFormatError(.embeddedNul, at: offset) }
        return Array(data[..<end])
    }

    /// Applies pending pax records and long names to a real header and checks the result.
    private func resolveMember(_ header: TarHeaderBlock, at blockOffset: UInt64) throws(TarFormatError) -> TarMember {
        let pax = pending.pax ?? TarPaxOverrides()
        var path = pax.path ?? pending.longName ?? header.name
        let linkTarget = pax.linkPath ?? pending.longLink ?? header.linkName
        let size = pax.size ?? header.size
        var kind = TarEntryKind(typeflag: header.typeflag)

        var hadTrailingSlash = false
        while path.count > 1 && path.last == UInt8(ascii: "/") {
            path.removeLast()
            hadTrailingSlash = true
        }
        guard !path.isEmpty else { throw TarFormatError(.emptyPath, at: blockOffset) }
        if kind == .regular && hadTrailingSlash {
            // The v7 spelling of a directory; with content it would be ambiguous.
            guard size == 0 else { throw TarFormatError(.unexpectedSize(size: size), at: blockOffset) }
            kind = .directory
        }
        guard kind.carriesContent || size == 0 else {
            throw TarFormatError(.unexpectedSize(size: size), at: blockOffset)
        }

        let entry = TarEntry(
            path: path,
            kind: kind,
            mode: header.mode,
            uid: pax.uid ?? header.uid,
            gid: pax.gid ?? header.gid,
            size: size,
            modificationTime: pax.modificationTime ?? header.modificationTime,
            linkTarget: linkTarget,
            deviceMajor: header.deviceMajor,
            deviceMinor: header.deviceMinor
        )
        return TarMember(
            entry: entry,
            headerOffset: pending.firstHeaderOffset ?? blockOffset,
            contentOffset: blockOffset + UInt64(TarUstarField.blockSize)
        )
    }
}
