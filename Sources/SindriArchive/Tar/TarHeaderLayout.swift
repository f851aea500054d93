/// How one entry will be encoded: which values fit the ustar block and which need pax records.
///
/// Computed once per entry and shared by `encode` and `encodedHeaderSize`, so the size the engine
/// precomputes for its layout is, by construction, the size of the bytes it later writes.
struct TarHeaderLayout {
    /// The name as stored: the entry path, plus a trailing `/` for directories.
    let storedName: [UInt8]
    /// Index of the `/` that splits `storedName` into ustar prefix and name, when one is needed.
    let prefixSplit: Int?
    /// The content size written (0 for kinds that carry no content).
    let size: UInt64
    let paxPath: Bool
    let paxLinkPath: Bool
    let paxSize: Bool
    let paxUID: Bool
    let paxGID: Bool
    let paxModificationTime: Bool
    /// Whether a pax path or linkpath value is not valid UTF-8, which needs `hdrcharset=BINARY`.
    let paxBinaryCharset: Bool
    /// Total byte length of the pax records (0 when no pax header is needed).
    let paxRecordsLength: Int

    static let maximumOctal8 = TarNumericField.maximumOctal(width: 8)
    static let maximumOctal12 = TarNumericField.maximumOctal(width: 12)
    static let binaryCharsetRecordLength = TarPaxRecords.recordLength(keywordLength: 10, valueLength: 6)

    init(_ entry: TarEntry) {
        precondition(!entry.path.isEmpty, "a tar entry needs a path")
        precondition(!entry.path.contains(0), "a tar entry path cannot contain NUL")
        precondition(!entry.linkTarget.contains(0), "a tar link target cannot contain NUL")
        var name = entry.path
        if entry.kind == .directory && name.last != UInt8(ascii: "/") {
            name.append(UInt8(ascii: "/"))
        }
        storedName = name

        var split: Int? = nil
        var pathNeedsPax = false
        if name.count > TarUstarField.name.width {
            split = Self.ustarSplit(name)
            pathNeedsPax = split == nil
        }
        prefixSplit = split
        paxPath = pathNeedsPax
        paxLinkPath = entry.linkTarget.count > TarUstarField.linkname.width

        size = entry.kind.carriesContent ? entry.size : 0
        paxSize = size > Self.maximumOctal12
        paxUID = UInt64(entry.uid) > Self.maximumOctal8
        paxGID = UInt64(entry.gid) > Self.maximumOctal8
        paxModificationTime = entry.modificationTime < 0 || UInt64(entry.modificationTime) > Self.maximumOctal12

        paxBinaryCharset = (pathNeedsPax && !Self.isValidUTF8(name))
            || (paxLinkPath && !Self.isValidUTF8(entry.linkTarget))

        var length = 0
        if paxBinaryCharset { length += Self.binaryCharsetRecordLength }
        if paxPath { length += TarPaxRecords.recordLength(keywordLength: 4, valueLength: name.count) }
        if paxLinkPath {
            length += TarPaxRecords.recordLength(keywordLength: 8, valueLength: entry.linkTarget.count)
        }
        if paxSize {
            length += TarPaxRecords.recordLength(
                keywordLength: 4, valueLength: TarNumericField.decimalDigitCount(size))
        }
        if paxUID {
            length += TarPaxRecords.recordLength(
                keywordLength: 3, valueLength: TarNumericField.decimalDigitCount(UInt64(entry.uid)))
        }
        if paxGID {
            length += TarPaxRecords.recordLength(
                keywordLength: 3, valueLength: TarNumericField.decimalDigitCount(UInt64(entry.gid)))
        }
        if paxModificationTime {
            length += TarPaxRecords.recordLength(
                keywordLength: 5, valueLength: TarNumericField.decimalLength(entry.modificationTime))
        }
        paxRecordsLength = length
    }

    /// Whether any value needs a pax extended header.
    var needsPax: Bool { paxRecordsLength > 0 }

    /// Total bytes of header blocks: the ustar block, plus the pax header block and its data.
    var encodedSize: Int {
        guard needsPax else { return TarUstarField.blockSize }
        return 2 * TarUstarField.blockSize + TarHeaderEncoder.roundedUpToBlock(paxRecordsLength)
    }

    /// The `/` that splits a name longer than 100 bytes into prefix (at most 155 bytes) and name
    /// (1 to 100 bytes), preferring the longest prefix like GNU tar; nil when no split fits.
    static func ustarSplit(_ name: [UInt8]) -> Int? {
        let count = name.count
        guard count <= TarUstarField.prefix.width + 1 + TarUstarField.name.width else { return nil }
        var index = min(count - 2, TarUstarField.prefix.width)
        let lowest = max(1, count - 1 - TarUstarField.name.width)
        while index >= lowest {
            if name[index] == UInt8(ascii: "/") { return index }
            index -= 1
        }
        return nil
    }

    static func isValidUTF8(_ bytes: [UInt8]) -> Bool {
        if !bytes.contains(where: { $0 >= 0x80 }) { return true }
        return String(validating: bytes, as: UTF8.self) != nil
    }
}
