/// Byte offsets and widths of the fields of a POSIX ustar header block.
enum TarUstarField {
    static let blockSize = 512
    static let name = (offset: 0, width: 100)
    static let mode = (offset: 100, width: 8)
    static let uid = (offset: 108, width: 8)
    static let gid = (offset: 116, width: 8)
    static let size = (offset: 124, width: 12)
    static let mtime = (offset: 136, width: 12)
    static let checksum = (offset: 148, width: 8)
    static let typeflag = 156
    static let linkname = (offset: 157, width: 100)
    static let magic = (offset: 257, width: 6)
    static let version = (offset: 263, width: 2)
    static let uname = (offset: 265, width: 32)
    static let gname = (offset: 297, width: 32)
    static let deviceMajor = (offset: 329, width: 8)
    static let deviceMinor = (offset: 337, width: 8)
    static let prefix = (offset: 345, width: 155)
}
