/// A numeric header field, named in `TarFormatError.Kind.badNumericField`.
public enum TarHeaderField: String, Sendable, Hashable {
    /// Permission bits.
    case mode
    /// Numeric owner (ustar field or pax `uid`).
    case uid
    /// Numeric group (ustar field or pax `gid`).
    case gid
    /// Content size (ustar field or pax `size`).
    case size
    /// Modification time (ustar field or pax `mtime`).
    case mtime
    /// Header checksum.
    case checksum
    /// Device major number.
    case deviceMajor
    /// Device minor number.
    case deviceMinor
}
