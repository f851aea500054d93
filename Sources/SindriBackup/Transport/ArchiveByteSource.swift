import SindriSystem
/// Sequential reads of an archive, wherever it lives: a local file, standard input, and the
/// remote and decrypting sources layered on the same interface.
///
/// Every reader of archives (restore's validation, verify, list, bench) reads through this one
/// interface, front to back, exactly once; so a source only has to deliver bytes in order. A
/// source may read ahead in parallel (ranged requests, chunk decryption) as long as it hands
/// the bytes out in order and keeps its memory bounded.
///
/// Blocking: `read` may wait for the disk or the network. Callers run it on the engine's own
/// thread (`BlockingExecutor`), never on the cooperative pool. A source is used by one thread at
/// a time, hence not `Sendable`.
public protocol ArchiveByteSource: AnyObject {
    /// A name for messages: the path, the URL (never with credentials), or "standard input".
    var name: String { get }
    /// The archive's size in bytes, when the source knows it before reading (a regular file, an
    /// object whose length the server reported).
    var totalBytes: UInt64? { get }
    /// Reads up to `buffer.count` bytes into `buffer`; returns how many, 0 only at the end.
    ///
    /// - Throws: `SindriError` naming the source and the cause (errno, HTTP status, ...).
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
    /// Moves `count` bytes forward without delivering them; returns how many bytes there were
    /// to move over (less than `count` only when the input ended first). Sources that can seek
    /// or skip a range do so; the default reads and discards.
    func skip(_ count: Int) throws -> Int
}

extension ArchiveByteSource {
    /// Appends up to `count` bytes to `buffer`; returns how many (0 at the end of the input).
    public func read(upTo count: Int, appendingTo buffer: inout [UInt8]) throws -> Int {
        let start = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: count))
        let got: Int
        do {
            got = try buffer.withUnsafeMutableBytes { raw in
                try read(into: UnsafeMutableRawBufferPointer(rebasing: raw[start...]))
            }
        } catch {
            buffer.removeLast(count)
            throw error
        }
        buffer.removeLast(count - got)
        return got
    }

    public func skip(_ count: Int) throws -> Int {
        try discard(count)
    }

    /// Reads and drops `count` bytes: the skip of a source that cannot seek.
    public func discard(_ count: Int) throws -> Int {
        var remaining = count
        var scratch = [UInt8](repeating: 0, count: min(count, 1 << 20))
        while remaining > 0 {
            let got = try scratch.withUnsafeMutableBytes { raw in
                try read(into: UnsafeMutableRawBufferPointer(rebasing: raw[..<min(remaining, raw.count)]))
            }
            if got == 0 { break }
            remaining -= got
        }
        return count - remaining
    }
}
