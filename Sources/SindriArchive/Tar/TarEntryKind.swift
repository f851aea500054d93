/// The kind of file a tar member describes, as encoded in the header's typeflag byte.
///
/// Only the POSIX ustar types are named; anything else a reader meets is kept as
/// `.other(typeflag)` so that the restore layer can decide to skip it, and the encoder writes
/// the byte back verbatim.
public enum TarEntryKind: Sendable, Hashable {
    /// A regular file (typeflag `'0'`; readers also accept NUL and `'7'`, contiguous file).
    case regular
    /// A directory (typeflag `'5'`).
    case directory
    /// A symbolic link (typeflag `'2'`); the target is `TarEntry.linkTarget`.
    case symbolicLink
    /// A hard link to an earlier member (typeflag `'1'`); the earlier path is `TarEntry.linkTarget`.
    case hardLink
    /// A character device (typeflag `'3'`).
    case characterDevice
    /// A block device (typeflag `'4'`).
    case blockDevice
    /// A named pipe (typeflag `'6'`).
    case fifo
    /// Any other typeflag byte, kept verbatim. Its content (if the header declares a size) is
    /// delivered like a regular file's, as POSIX asks of unknown types.
    case other(UInt8)

    /// The typeflag byte the encoder writes for this kind.
    public var typeflag: UInt8 {
        switch self {
        case .regular: return UInt8(ascii: "0")
        case .hardLink: return UInt8(ascii: "1")
        case .symbolicLink: return UInt8(ascii: "2")
        case .characterDevice: return UInt8(ascii: "3")
        case .blockDevice: return UInt8(ascii: "4")
        case .directory: return UInt8(ascii: "5")
        case .fifo: return UInt8(ascii: "6")
        case .other(let byte): return byte
        }
    }

    /// The kind a reader assigns to a typeflag of a real (non-metadata) header.
    ///
    /// NUL (old v7 archives) and `'7'` (contiguous file, which no Unix distinguishes) are
    /// regular files.
    public init(typeflag: UInt8) {
        switch typeflag {
        case 0, UInt8(ascii: "0"), UInt8(ascii: "7"): self = .regular
        case UInt8(ascii: "1"): self = .hardLink
        case UInt8(ascii: "2"): self = .symbolicLink
        case UInt8(ascii: "3"): self = .characterDevice
        case UInt8(ascii: "4"): self = .blockDevice
        case UInt8(ascii: "5"): self = .directory
        case UInt8(ascii: "6"): self = .fifo
        default: self = .other(typeflag)
        }
    }

    /// Whether members of this kind carry content bytes after their header.
    ///
    /// Regular files and unknown types do; for links, devices, FIFOs and directories the size
    /// field must be zero (tools disagree on whether to skip data after them, so a reader that
    /// accepted a non-zero size could fall out of step with GNU tar or Python).
    public var carriesContent: Bool {
        switch self {
        case .regular, .other: return true
        default: return false
        }
    }
}
