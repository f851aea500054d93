/// What `TarReader` reports while it parses, in stream order.
///
/// Every member produces `.entry`, then zero or more `.content` slices whose lengths add up to
/// `entry.size`, then `.endOfEntry`. The archive ends with one `.endOfArchive`.
///
/// Not `Sendable`: a `.content` slice points into the buffer passed to `consume` and is valid
/// only for the duration of the handler call; copy it or write it out before returning.
public enum TarEvent {
    /// A member's header, fully resolved.
    case entry(TarMember)
    /// The next bytes of the current member's content (never empty).
    case content(UnsafeRawBufferPointer)
    /// The current member's content is complete.
    case endOfEntry
    /// The two zero blocks that end the archive were read.
    case endOfArchive
}
