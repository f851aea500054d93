import SindriSystem
/// Where a backup's archive bytes go: a local file, standard output, and the remote and
/// encrypting destinations layered on the same interface.
///
/// The writer appends members in order, then, at the end, replaces the first member (the
/// manifest, written first as a placeholder of the same size) with the final figures, and
/// commits. Whatever the destination, nothing appears at the archive's final location before
/// `commit` returns, and `abort` (or a failure inside `commit`) leaves that location as it was.
///
/// Blocking: `write` and `commit` may wait for the disk or the network. Callers run them on the
/// engine's own thread (`BlockingExecutor`), one call at a time.
public protocol ArchiveSink: AnyObject, Sendable {
    /// The archive's final location for messages and the result: a path, an `s3://` URL (never
    /// with credentials); nil for standard output. For an automatic name, the name actually
    /// claimed once committed.
    var location: String? { get }
    /// Whether `commit` can replace the first bytes written. A stream (standard output) cannot;
    /// the writer then carries the final figures in the archive's trailer instead.
    var canReplaceStart: Bool { get }
    /// The local file being written, so the walk never archives the archive itself.
    var identity: FileIdentity? { get }
    /// Bytes appended so far.
    var bytesWritten: UInt64 { get }
    /// What was cleaned up at the destination before writing (stale temporary files, orphaned
    /// uploads), for the summary.
    var notes: [String] { get }

    /// Tells the sink an upper bound of the archive's size, once the walk has counted (a remote
    /// sink sizes its upload's parts from it). Optional: the default ignores it.
    func expectSize(_ bytes: UInt64)
    /// Appends bytes; `isData` marks the data members the archive checksum covers.
    func write(_ bytes: [UInt8], isData: Bool) throws
    /// The hex SHA-256 of the data members appended so far (the manifest's `checksum`).
    func dataChecksum() -> String
    /// Replaces the first `start.count` bytes with `start` (when given; only if
    /// `canReplaceStart`), then makes the archive durable and visible at its final location with
    /// a `.sha256` sidecar over the whole archive. Returns the sidecar's location (nil for a
    /// stream).
    ///
    /// - Throws: `SindriError` naming the location and the cause; nothing is left at the final
    ///   location then, and an archive already there is untouched.
    func commit(replacingStartWith start: [UInt8]?) throws -> String?
    /// Gives up: removes what was written (a temporary file, an unfinished upload). Never throws;
    /// what cannot be removed is reported through `CleanupLog`.
    func abort()
}

extension ArchiveSink {
    public func expectSize(_ bytes: UInt64) {}
}
