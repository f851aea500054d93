import Crypto
import Synchronization

/// Hashes the files that span several blocks, off the ordered path.
///
/// SHA256 runs front to back, so a file cut across blocks is hashed slice after slice in stream
/// order. The tar writer receives the blocks in that order and hands each slice here; the hashing
/// itself runs on a chain of tasks (each slice's task continues the previous slice's hash), in
/// parallel with the readers and the writer, so a 10 GiB file costs the writer one task creation
/// per block, not 10 GiB of hashing.
///
/// Bounded: at most ``depth`` slices wait to be hashed (each keeps its 1 MiB block alive); the
/// writer awaits the oldest before it hands over another.
struct SpanHasher {
    /// A slice of a spanning file inside one block.
    struct Slice: Sendable {
        var member: Int
        /// The slice's bytes in the block's buffer.
        var range: Range<Int>
        /// Whether the file's content ends in this block.
        var isLast: Bool
    }

    /// Slices hashed or queued whose result the writer has not collected, oldest first.
    typealias Pending = Task<(member: Int, digest: [UInt8])?, Never>

    static let depth = 16

    /// One spanning file's running hash. The chain's tasks take turns (each awaits the previous
    /// slice's task first); the mutex is what lets the state cross from one task to the next.
    private final class RunningHash: Sendable {
        let state = Mutex(SHA256())
    }

    private var open: (member: Int, hash: RunningHash, tail: Pending)?
    private var pending: [Pending] = []
    private var head = 0
    private(set) var digests: [Int: [UInt8]] = [:]

    init() {}

    /// Queues a slice of `bytes` (the whole block, shared, not copied): one task per slice, which
    /// waits for the file's previous slice, continues its hash, and gives the digest after the
    /// file's last slice.
    mutating func absorb(_ slice: Slice, of bytes: [UInt8]) {
        let previous: Pending?
        let hash: RunningHash
        if let open, open.member == slice.member {
            previous = open.tail
            hash = open.hash
        } else {
            previous = nil
            hash = RunningHash()
        }
        let range = slice.range
        let member = slice.member
        let isLast = slice.isLast
        let task = Pending {
            _ = await previous?.value
            return hash.state.withLock { hasher in
                bytes.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[range])) }
                return isLast ? (member: member, digest: Array(hasher.finalize())) : nil
            }
        }
        pending.append(task)
        open = isLast ? nil : (member, hash, task)
    }

    /// The oldest queued slice when more than ``depth`` wait (the writer awaits it, then
    /// calls ``collect(_:)``), else nil.
    mutating func overflow() -> Pending? {
        guard pending.count - head > Self.depth else { return nil }
        return takeOldest()
    }

    /// The oldest queued slice, or nil when none is left (for the end of the archive).
    mutating func takeOldest() -> Pending? {
        guard head < pending.count else { return nil }
        let oldest = pending[head]
        head += 1
        if head == pending.count {
            pending.removeAll(keepingCapacity: true)
            head = 0
        }
        return oldest
    }

    /// Records what an awaited slice gave.
    mutating func collect(_ result: (member: Int, digest: [UInt8])?) {
        if let result { digests[result.member] = result.digest }
    }
}
