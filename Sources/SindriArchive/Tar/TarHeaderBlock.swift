/// One decoded 512-byte header block, before pax records or GNU long names are applied.
struct TarHeaderBlock {
    /// Which header dialect the magic field announced.
    enum Format: Hashable {
        /// `"ustar\0"`: POSIX ustar or pax; the prefix field extends the name.
        case posix
        /// `"ustar  \0"`: GNU; the prefix area holds other fields and is ignored.
        case gnu
        /// Empty magic: pre-POSIX (v7 or old GNU); only the first 257 bytes are meaningful.
        case v7
    }

    var format: Format
    var typeflag: UInt8
    /// The name field, joined to the prefix field with `/` for POSIX headers.
    var name: [UInt8]
    var linkName: [UInt8]
    var mode: UInt32
    var uid: UInt32
    var gid: UInt32
    var size: UInt64
    var modificationTime: Int64
    var deviceMajor: UInt32
    var deviceMinor: UInt32

    /// Whether the block is all zero bytes (half of the end-of-archive marker).
    static func isZero(_ block: UnsafeRawBufferPointer) -> Bool {
        var accumulator: UInt64 = 0
        var index = 0
        while index < TarUstarField.blockSize {
            accumulator |= block.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            index += 8
        }
        return accumulator == 0
    }

    /// Decodes and validates a non-zero header block found at stream offset `offset`.
    ///
    /// - Throws: `.badChecksum` when the stored checksum matches neither the unsigned nor the
    ///   signed sum, `.unknownFormat` for an unrecognised magic, `.badNumericField` for a field
    ///   that is not valid octal or base-256 or does not fit its type.
    init(_ block: UnsafeRawBufferPointer, offset: UInt64) throws(TarFormatError) {
        precondition(block.count == TarUstarField.blockSize)
        try Self.verifyChecksum(block, offset: offset)

        let magic = Self.field(block, TarUstarField.magic.offset, 8)
        if magic.starts(with: [0x75, 0x73, 0x74, 0x61, 0x72, 0x00]) {
            format = .posix
        } else if magic.elementsEqual([0x75, 0x73, 0x74, 0x61, 0x72, 0x20, 0x20, 0x00]) {
            format = .gnu
        } else if magic.allSatisfy({ $0 == 0 }) {
            format = .v7
        } else {
            throw TarFormatError(.unknownFormat, at: offset)
        }

        typeflag = block[TarUstarField.typeflag]
        var name = Self.cString(block, TarUstarField.name)
        if format == .posix {
            let prefix = Self.cString(block, TarUstarField.prefix)
            if !prefix.isEmpty {
                name = prefix + [UInt8(ascii: "/")] + name
            }
        }
        self.name = name
        linkName = Self.cString(block, TarUstarField.linkname)

        func unsigned(_ field: (offset: Int, width: Int), _ which: TarHeaderField, limit: UInt64) throws(TarFormatError) -> UInt64 {
            guard let value = TarNumericField.parseUnsigned(Self.field(block, field.offset, field.width)),
                  value <= limit else {
                throw TarFormatError(.badNumericField(field: which), at: offset)
            }
            return value
        }
        let uint32Max = UInt64(UInt32.max)
        mode = UInt32(try unsigned(TarUstarField.mode, .mode, limit: uint32Max) & 0o7777)
        uid = UInt32(try unsigned(TarUstarField.uid, .uid, limit: uint32Max))
        gid = UInt32(try unsigned(TarUstarField.gid, .gid, limit: uint32Max))
        size = try unsigned(TarUstarField.size, .size, limit: UInt64.max)
        guard let mtime = TarNumericField.parseSigned(
            Self.field(block, TarUstarField.mtime.offset, TarUstarField.mtime.width)) else {
            throw TarFormatError(.badNumericField(field: .mtime), at: offset)
        }
        modificationTime = mtime
        if format == .v7 {
            deviceMajor = 0
            deviceMinor = 0
        } else {
            deviceMajor = UInt32(try unsigned(TarUstarField.deviceMajor, .deviceMajor, limit: uint32Max))
            deviceMinor = UInt32(try unsigned(TarUstarField.deviceMinor, .deviceMinor, limit: uint32Max))
        }
    }

    /// Accepts the unsigned byte sum (POSIX) or the signed one (some historic writers), each
    /// computed with the checksum field taken as eight spaces, like GNU tar does.
    private static func verifyChecksum(_ block: UnsafeRawBufferPointer, offset: UInt64) throws(TarFormatError) {
        let field = Self.field(block, TarUstarField.checksum.offset, TarUstarField.checksum.width)
        guard field.first.map({ $0 & 0x80 == 0 }) == true,
              let stored = TarNumericField.parseUnsigned(field),
              field.contains(where: { $0 >= 0x30 && $0 <= 0x37 }) else {
            throw TarFormatError(.badChecksum, at: offset)
        }
        var unsignedSum: Int64 = 0
        var signedSum: Int64 = 0
        let checksumRange = TarUstarField.checksum.offset..<(TarUstarField.checksum.offset + TarUstarField.checksum.width)
        for index in 0..<TarUstarField.blockSize {
            let byte = checksumRange.contains(index) ? 0x20 : block[index]
            unsignedSum += Int64(byte)
            signedSum += Int64(Int8(bitPattern: byte))
        }
        guard Int64(stored) == unsignedSum || Int64(stored) == signedSum else {
            throw TarFormatError(.badChecksum, at: offset)
        }
    }

    private static func field(_ block: UnsafeRawBufferPointer, _ offset: Int, _ width: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: block[offset..<(offset + width)])
    }

    /// The bytes of a fixed-width field up to its first NUL (the whole field when it has none).
    private static func cString(_ block: UnsafeRawBufferPointer, _ field: (offset: Int, width: Int)) -> [UInt8] {
        var end = field.offset
        let limit = field.offset + field.width
        while end < limit && block[end] != 0 { end += 1 }
        return Array(block[field.offset..<end])
    }
}
