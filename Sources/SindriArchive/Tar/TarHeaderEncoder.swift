/// Encodes tar member headers: a single POSIX ustar block when every value fits, otherwise a pax
/// extended header (`'x'`, standard keywords only) followed by the ustar block.
///
/// The output is deterministic (no pid, no clock, empty uname/gname) so that the same tree gives
/// the same archive bytes, and it is written by hand into a zeroed buffer because it runs once per
/// file. GNU tar, bsdtar and Python's `tarfile` read it without warnings.
///
/// Choices, all matching what GNU tar and Python write or accept silently:
/// - A path longer than 100 bytes is split at a `/` into the 155-byte prefix and the 100-byte name
///   (longest prefix first, like GNU tar); when no split fits, it goes into a pax `path` record and
///   the ustar name holds its first 100 bytes.
/// - A link target longer than 100 bytes goes into a pax `linkpath` record.
/// - A size of 8 GiB or more, a uid or gid above 2097151 (7 octal digits), and an mtime that is
///   negative or above 11 octal digits go into pax `size`, `uid`, `gid`, `mtime` records; the
///   ustar field then holds 0, as Python writes it.
/// - `hdrcharset=BINARY` is added when a pax path or linkpath is not valid UTF-8, so readers keep
///   the bytes instead of decoding them. GNU tar 1.34 does not know this standard keyword: it
///   prints "Ignoring unknown extended header keyword 'hdrcharset'" once, keeps the raw bytes and
///   exits 0. Without the keyword bsdtar fails instead ("Pathname can't be converted from UTF-8"),
///   so the keyword stays. Only names that need pax *and* are not UTF-8 are concerned.
/// - Device numbers above 2097151 (pax has no standard keyword for them) use GNU base-256, which
///   GNU tar and Python both read.
/// - The pax header's own name is `PaxHeaders/` followed by the last bytes of the entry path that
///   fit (cut at a UTF-8 boundary); its mtime is the entry's (0 when out of range), mode 0644,
///   uid and gid 0.
public enum TarHeaderEncoder {
    /// Size of a tar block.
    public static let blockSize = 512

    /// The complete header blocks of one member (a multiple of 512 bytes).
    ///
    /// Precondition: the path is not empty and neither it nor the link target contains NUL
    /// (file names read from a file system never do).
    public static func encode(_ entry: TarEntry) -> [UInt8] {
        var out: [UInt8] = []
        append(entry, to: &out)
        return out
    }

    /// Appends the header blocks of one member to `buffer`, avoiding an intermediate array when
    /// the writer batches many members into one buffer.
    public static func append(_ entry: TarEntry, to buffer: inout [UInt8]) {
        let layout = TarHeaderLayout(entry)
        let start = buffer.count
        let total = layout.encodedSize
        buffer.append(contentsOf: repeatElement(0, count: total))
        var ustarOffset = start
        if layout.needsPax {
            let records = paxRecords(entry, layout)
            buffer.withUnsafeMutableBufferPointer { whole in
                let base = whole.baseAddress! + start
                writePaxHeaderBlock(into: base, entry: entry, recordsLength: records.count)
                records.withUnsafeBufferPointer { source in
                    (base + blockSize).update(from: source.baseAddress!, count: source.count)
                }
            }
            ustarOffset = start + total - blockSize
        }
        buffer.withUnsafeMutableBufferPointer { whole in
            writeUstarBlock(into: whole.baseAddress! + ustarOffset, entry: entry, layout: layout)
        }
    }

    /// The number of bytes `encode(entry)` returns, computed without encoding.
    public static func encodedHeaderSize(_ entry: TarEntry) -> Int {
        TarHeaderLayout(entry).encodedSize
    }

    /// The end-of-archive marker: two zero blocks.
    public static func endOfArchive() -> [UInt8] {
        [UInt8](repeating: 0, count: 2 * blockSize)
    }

    /// The number of zero bytes that follow `size` content bytes to complete the last block.
    public static func paddingCount(forSize size: UInt64) -> Int {
        Int((UInt64(blockSize) - size % UInt64(blockSize)) % UInt64(blockSize))
    }

    /// `count` rounded up to a multiple of the block size.
    static func roundedUpToBlock(_ count: Int) -> Int {
        (count + blockSize - 1) / blockSize * blockSize
    }

    // MARK: Blocks

    private static func writeUstarBlock(
        into block: UnsafeMutablePointer<UInt8>, entry: TarEntry, layout: TarHeaderLayout
    ) {
        let name = layout.storedName
        if let split = layout.prefixSplit {
            copy(name[..<split], into: block + TarUstarField.prefix.offset)
            copy(name[(split + 1)...], into: block + TarUstarField.name.offset)
        } else {
            copy(name.prefix(TarUstarField.name.width), into: block + TarUstarField.name.offset)
        }
        copy(entry.linkTarget.prefix(TarUstarField.linkname.width), into: block + TarUstarField.linkname.offset)

        writeOctal(UInt64(entry.mode & 0o7777), TarUstarField.mode, block)
        writeOctal(layout.paxUID ? 0 : UInt64(entry.uid), TarUstarField.uid, block)
        writeOctal(layout.paxGID ? 0 : UInt64(entry.gid), TarUstarField.gid, block)
        writeOctal(layout.paxSize ? 0 : layout.size, TarUstarField.size, block)
        writeOctal(layout.paxModificationTime ? 0 : UInt64(entry.modificationTime), TarUstarField.mtime, block)
        writeDevice(entry.deviceMajor, TarUstarField.deviceMajor, block)
        writeDevice(entry.deviceMinor, TarUstarField.deviceMinor, block)
        block[TarUstarField.typeflag] = entry.kind.typeflag
        finish(block)
    }

    private static func writePaxHeaderBlock(
        into block: UnsafeMutablePointer<UInt8>, entry: TarEntry, recordsLength: Int
    ) {
        let name = paxHeaderName(for: entry.path)
        copy(name[...], into: block + TarUstarField.name.offset)
        let mtime = entry.modificationTime
        let fits = mtime >= 0 && UInt64(mtime) <= TarHeaderLayout.maximumOctal12
        writeOctal(0o644, TarUstarField.mode, block)
        writeOctal(0, TarUstarField.uid, block)
        writeOctal(0, TarUstarField.gid, block)
        writeOctal(UInt64(recordsLength), TarUstarField.size, block)
        writeOctal(fits ? UInt64(mtime) : 0, TarUstarField.mtime, block)
        writeOctal(0, TarUstarField.deviceMajor, block)
        writeOctal(0, TarUstarField.deviceMinor, block)
        block[TarUstarField.typeflag] = UInt8(ascii: "x")
        finish(block)
    }

    /// Writes magic, version and the checksum, which covers every other byte of the block.
    private static func finish(_ block: UnsafeMutablePointer<UInt8>) {
        // "ustar\0" then version "00".
        let magic: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0x75, 0x73, 0x74, 0x61, 0x72, 0, 0x30, 0x30)
        withUnsafeBytes(of: magic) { bytes in
            (block + TarUstarField.magic.offset).update(from: bytes.bindMemory(to: UInt8.self).baseAddress!, count: 8)
        }
        let checksumField = block + TarUstarField.checksum.offset
        for index in 0..<8 { checksumField[index] = 0x20 }
        var sum: UInt32 = 0
        for index in 0..<blockSize { sum &+= UInt32(block[index]) }
        // Six octal digits, NUL, space: the layout GNU tar writes.
        TarNumericField.writeOctal(UInt64(sum), width: 7, into: checksumField)
        checksumField[7] = 0x20
    }

    @inline(__always)
    private static func writeOctal(
        _ value: UInt64, _ field: (offset: Int, width: Int), _ block: UnsafeMutablePointer<UInt8>
    ) {
        TarNumericField.writeOctal(value, width: field.width, into: block + field.offset)
    }

    private static func writeDevice(
        _ value: UInt32, _ field: (offset: Int, width: Int), _ block: UnsafeMutablePointer<UInt8>
    ) {
        if UInt64(value) <= TarHeaderLayout.maximumOctal8 {
            writeOctal(UInt64(value), field, block)
        } else {
            TarNumericField.writeBase256(UInt64(value), width: field.width, into: block + field.offset)
        }
    }

    @inline(__always)
    private static func copy(_ bytes: ArraySlice<UInt8>, into destination: UnsafeMutablePointer<UInt8>) {
        bytes.withUnsafeBufferPointer { source in
            guard let base = source.baseAddress else { return }
            destination.update(from: base, count: source.count)
        }
    }

    // MARK: Pax

    private static func paxRecords(_ entry: TarEntry, _ layout: TarHeaderLayout) -> [UInt8] {
        var records: [UInt8] = []
        records.reserveCapacity(layout.paxRecordsLength)
        if layout.paxBinaryCharset {
            TarPaxRecords.appendRecord(keyword: "hdrcharset", value: "BINARY".utf8, to: &records)
        }
        if layout.paxPath { TarPaxRecords.appendRecord(keyword: "path", value: layout.storedName, to: &records) }
        if layout.paxLinkPath { TarPaxRecords.appendRecord(keyword: "linkpath", value: entry.linkTarget, to: &records) }
        if layout.paxSize { TarPaxRecords.appendRecord(keyword: "size", decimal: layout.size, to: &records) }
        if layout.paxUID { TarPaxRecords.appendRecord(keyword: "uid", decimal: UInt64(entry.uid), to: &records) }
        if layout.paxGID { TarPaxRecords.appendRecord(keyword: "gid", decimal: UInt64(entry.gid), to: &records) }
        if layout.paxModificationTime {
            TarPaxRecords.appendRecord(keyword: "mtime", decimal: entry.modificationTime, to: &records)
        }
        assert(records.count == layout.paxRecordsLength)
        return records
    }

    /// `PaxHeaders/` and the last bytes of `path` that fit in the 100-byte name field, starting at
    /// a UTF-8 boundary and never with `/`: deterministic, unlike GNU tar's pid-based names.
    static func paxHeaderName(for path: [UInt8]) -> [UInt8] {
        let directory = Array("PaxHeaders/".utf8)
        let room = TarUstarField.name.width - directory.count
        var start = max(0, path.count - room)
        while start < path.count, path[start] & 0xC0 == 0x80 || path[start] == UInt8(ascii: "/") {
            start += 1
        }
        var trimmedEnd = path.count
        while trimmedEnd > start, path[trimmedEnd - 1] == UInt8(ascii: "/") { trimmedEnd -= 1 }
        return directory + path[start..<trimmedEnd]
    }
}
