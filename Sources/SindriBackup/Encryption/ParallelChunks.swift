import Foundation
import SindriAge

/// Running independent chunk work on all cores: lane 0 on the calling thread, the others on
/// threads of our own.
///
/// Why not `DispatchQueue.concurrentPerform`: on Linux, Swift's cooperative pool runs on
/// Dispatch's global queues, and a `concurrentPerform` called from a task deadlocked in tests
/// (its helpers waited for the very pool threads it blocked). Dedicated threads depend on
/// neither, whoever calls.
///
/// Why not the engine's `BoundedPipeline`: its callers await, and the cipher runs inside
/// synchronous calls (`ArchiveSink.write` from the ordered writer, `ArchiveByteSource.read` from
/// the gzip member reader), which hand bytes over in order and cannot suspend. The lanes are
/// short (a batch of 32 chunks takes about a millisecond) and run beside the deflate or inflate
/// jobs already in flight in that pipeline.
enum ParallelChunks {
    /// One lane per core.
    static let lanes = max(1, ProcessInfo.processInfo.activeProcessorCount)
    /// Below this many chunks per lane, the hand-off costs more than it saves.
    static let minimumChunksPerLane = 4

    /// `body(0..<count)`, concurrently, results in lane order.
    static func map<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) -> T) -> [T] {
        let results = LaneResults<T>(count: count)
        for lane in 1..<max(1, count) {
            ChunkLaneThreads.shared.submit { results.set(lane, body(lane)) }
        }
        results.set(0, body(0))
        return results.waitForAll()
    }
}

/// Long-lived threads that run chunk jobs (pure computation, no blocking call), shared by every
/// encrypting sink and decrypting source of the process.
// @unchecked: `jobs` is only touched while holding `condition`.
final class ChunkLaneThreads: @unchecked Sendable {
    static let shared = ChunkLaneThreads(count: max(1, ParallelChunks.lanes - 1))

    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []

    init(count: Int) {
        for index in 0..<count {
            // The threads hold the pool: both live until the process exits.
            let thread = Thread { self.runJobs() }
            thread.name = "sindri-chunks-\(index)"
            thread.start()
        }
    }

    func submit(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func runJobs() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
        }
    }
}

/// The results of `ParallelChunks.map`, one slot per lane, each set once.
// @unchecked: `slots` and `remaining` are only touched while holding `condition`.
private final class LaneResults<T: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var slots: [T?]
    private var remaining: Int

    init(count: Int) {
        slots = [T?](repeating: nil, count: count)
        remaining = count
    }

    func set(_ lane: Int, _ value: T) {
        condition.lock()
        slots[lane] = value
        remaining -= 1
        if remaining == 0 { condition.broadcast() }
        condition.unlock()
    }

    func waitForAll() -> [T] {
        condition.lock()
        defer { condition.unlock() }
        while remaining > 0 { condition.wait() }
        return slots.map { $0! }
    }
}

extension ParallelChunks {
    /// Seals `plaintext` as chunks `firstIndex...` into `output` (exactly its sealed size),
    /// runs of chunks on all cores; every lane writes its own part of `output`, so nothing is
    /// copied after the cipher.
    static func seal(
        _ plaintext: UnsafeRawBufferPointer, firstIndex: UInt64, endsPayload: Bool,
        into output: UnsafeMutableRawBufferPointer, cipher: AgePayloadCipher
    ) {
        let chunk = AgePayloadCipher.chunkSize
        let chunks = AgePayloadCipher.chunkCount(plaintextSize: plaintext.count)
        let lanes = min(Self.lanes, chunks / minimumChunksPerLane)
        if lanes < 2 {
            cipher.sealChunks(plaintext, firstIndex: firstIndex, endsPayload: endsPayload, into: output)
            return
        }
        let perLane = (chunks + lanes - 1) / lanes
        let buffers = LaneBuffers(input: plaintext, output: output)
        _ = map(lanes) { lane in
            let first = min(lane * perLane, chunks)
            let start = first * chunk
            let end = min((first + perLane) * chunk, buffers.input.count)
            if start >= end { return () }
            let sealedStart = first * AgePayloadCipher.sealedChunkSize
            let sealedEnd = sealedStart + AgePayloadCipher.sealedSize(plaintextSize: end - start)
            cipher.sealChunks(
                UnsafeRawBufferPointer(rebasing: buffers.input[start..<end]), firstIndex: firstIndex + UInt64(first),
                endsPayload: endsPayload && end == buffers.input.count,
                into: UnsafeMutableRawBufferPointer(rebasing: buffers.output[sealedStart..<sealedEnd]))
            return ()
        }
    }

    /// Opens `sealed` (chunks `firstIndex...`) into `output` (at least `sealed.count` bytes),
    /// runs of chunks on all cores, each lane into its own part of `output`; returns the
    /// plaintext size. Every chunk is authenticated before its bytes are written.
    ///
    /// - Throws: the first chunk's failure, in chunk order (`output` then holds nothing the
    ///   caller may use).
    static func open(
        _ sealed: UnsafeRawBufferPointer, firstIndex: UInt64, endsPayload: Bool,
        into output: UnsafeMutableRawBufferPointer, cipher: AgePayloadCipher
    ) throws(AgeError) -> Int {
        let sealedChunk = AgePayloadCipher.sealedChunkSize
        let chunks = max(1, (sealed.count + sealedChunk - 1) / sealedChunk)
        let lanes = min(Self.lanes, chunks / minimumChunksPerLane)
        if lanes < 2 {
            var released = 0
            return try cipher.openChunks(sealed, firstIndex: firstIndex, endsPayload: endsPayload, into: output, released: &released)
        }
        let perLane = (chunks + lanes - 1) / lanes
        let buffers = LaneBuffers(input: sealed, output: output)
        let results = map(lanes) { lane -> Result<Int, AgeError> in
            let first = min(lane * perLane, chunks)
            let start = first * sealedChunk
            let end = min((first + perLane) * sealedChunk, buffers.input.count)
            if start >= end { return .success(0) }
            var released = 0
            return Result { () throws(AgeError) in
                try cipher.openChunks(
                    UnsafeRawBufferPointer(rebasing: buffers.input[start..<end]), firstIndex: firstIndex + UInt64(first),
                    endsPayload: endsPayload && end == buffers.input.count,
                    into: UnsafeMutableRawBufferPointer(rebasing: buffers.output[(first * AgePayloadCipher.chunkSize)...]),
                    released: &released)
            }
        }
        var total = 0
        for result in results { total += try result.get() }
        return total
    }
}

/// The input and output of one parallel seal or open, handed to the lanes.
// @unchecked: the pointers stay valid for the whole `ParallelChunks.map`, which returns only
// after every lane has finished, and each lane writes only its own disjoint part of `output`.
private struct LaneBuffers: @unchecked Sendable {
    let input: UnsafeRawBufferPointer
    let output: UnsafeMutableRawBufferPointer
}
