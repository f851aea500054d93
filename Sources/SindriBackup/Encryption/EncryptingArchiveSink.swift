import Crypto
import Foundation
import SindriAge
import SindriSystem

/// A sink that encrypts the archive into an age file and hands the ciphertext to another sink
/// (a local file, standard output, a remote object).
///
/// The payload is sealed in 64 KiB STREAM chunks as the archive is written, several chunks at a
/// time in parallel. Two chunks wait in memory instead of being sealed at once:
/// - The chunks holding the first write (the manifest member, rewritten in place at commit)
///   stay plaintext until `commit`, and are sealed exactly once, with the final manifest: a
///   provisional version sealed under the same key and nonce would give two ciphertexts of
///   different plaintexts under one keystream. Their space in the file is zeros until then.
/// - The last chunk must carry STREAM's last-chunk flag, so the newest chunk is sealed only
///   when more data follows it, or at commit.
///
/// `bytesWritten` and `dataChecksum` describe the plaintext archive (the `.tar.gz`), which is
/// what the manifest inside it describes; the `.sha256` sidecar covers the encrypted file.
// @unchecked: its mutable state is only touched by the single writer, one call at a time on the
// engine's thread (the `ArchiveSink` contract).
final class EncryptingArchiveSink: ArchiveSink, @unchecked Sendable {
    private let inner: any ArchiveSink
    private let encryptor: AgeEncryptor
    /// Plaintext of the first chunks (the manifest member), sealed at commit.
    private var held: [UInt8] = []
    /// How many plaintext bytes `held` keeps: the first write rounded up to whole chunks; nil
    /// before the first write. Zero when the inner sink cannot replace its start (a stream):
    /// then nothing is rewritten and everything is sealed in order.
    private var heldLimit: Int?
    /// Plaintext after `held` not sealed yet (the newest, possibly last, chunk).
    private var pending: [UInt8] = []
    /// The index of the chunk `pending` starts with.
    private var nextChunk: UInt64 = 0
    /// Whether the header and the placeholder of the held chunks went to the inner sink.
    private var startWritten = false
    private var dataHasher = SHA256()
    private(set) var bytesWritten: UInt64 = 0

    init(inner: any ArchiveSink, encryptor: AgeEncryptor) {
        self.inner = inner
        self.encryptor = encryptor
    }

    var location: String? { inner.location }
    var canReplaceStart: Bool { inner.canReplaceStart }
    var identity: FileIdentity? { inner.identity }
    var notes: [String] { inner.notes }

    func write(_ bytes: [UInt8], isData: Bool) throws {
        if isData { bytes.withUnsafeBytes { dataHasher.update(bufferPointer: $0) } }
        bytesWritten += UInt64(bytes.count)
        let chunk = AgePayloadCipher.chunkSize
        let limit = heldLimit ?? (inner.canReplaceStart ? (bytes.count + chunk - 1) / chunk * chunk : 0)
        heldLimit = limit
        var rest = bytes[...]
        if held.count < limit {
            let taken = min(limit - held.count, rest.count)
            held += rest.prefix(taken)
            rest = rest.dropFirst(taken)
        }
        if rest.isEmpty { return }
        pending += rest
        // Seal every full chunk that has data after it: none of them can be the last.
        let ready = (pending.count - 1) / chunk
        if ready == 0 { return }
        try writeStartIfNeeded()
        let sealed = Self.seal(pending, count: ready * chunk, firstIndex: nextChunk, endsPayload: false, cipher: encryptor.cipher)
        pending.removeFirst(ready * chunk)
        nextChunk += UInt64(ready)
        try inner.write(sealed, isData: false)
    }

    /// The header, then zeros where the held chunks' ciphertext goes at commit.
    private func writeStartIfNeeded() throws {
        if startWritten { return }
        startWritten = true
        let heldChunks = held.count / AgePayloadCipher.chunkSize
        nextChunk = UInt64(heldChunks)
        try inner.write(encryptor.prefix + [UInt8](repeating: 0, count: heldChunks * AgePayloadCipher.sealedChunkSize), isData: false)
    }

    func dataChecksum() -> String {
        FileDigest.hex(dataHasher.finalize())
    }

    func commit(replacingStartWith start: [UInt8]?) throws -> String? {
        if let start {
            guard start.count <= held.count else {
                throw SindriError(.internal, "the archive's start grew after it was written (\(start.count) bytes, \(held.count) held)")
            }
            held.replaceSubrange(0..<start.count, with: start)
        }
        if !startWritten {
            // The whole archive fits in the held chunks: write it in one piece, sealed once.
            let whole = held + pending
            let sealed = Self.seal(whole, count: whole.count, firstIndex: 0, endsPayload: true, cipher: encryptor.cipher)
            try inner.write(encryptor.prefix + sealed, isData: false)
            return try inner.commit(replacingStartWith: nil)
        }
        let last = Self.seal(pending, count: pending.count, firstIndex: nextChunk, endsPayload: true, cipher: encryptor.cipher)
        try inner.write(last, isData: false)
        pending = []
        guard !held.isEmpty else { return try inner.commit(replacingStartWith: nil) }
        let sealedStart = Self.seal(held, count: held.count, firstIndex: 0, endsPayload: false, cipher: encryptor.cipher)
        return try inner.commit(replacingStartWith: encryptor.prefix + sealedStart)
    }

    func abort() {
        held = []
        pending = []
        inner.abort()
    }

    /// Seals the first `count` bytes of `plaintext` as chunks `firstIndex...`, spreading runs of
    /// chunks over the cores (each chunk is independent).
    static func seal(
        _ plaintext: [UInt8], count: Int, firstIndex: UInt64, endsPayload: Bool, cipher: AgePayloadCipher
    ) -> [UInt8] {
        let chunk = AgePayloadCipher.chunkSize
        let chunks = max(1, (count + chunk - 1) / chunk)
        let lanes = min(ParallelChunks.lanes, chunks / ParallelChunks.minimumChunksPerLane)
        if lanes < 2 {
            return plaintext.withUnsafeBytes { raw in
                cipher.sealChunks(UnsafeRawBufferPointer(rebasing: raw[..<count]), firstIndex: firstIndex, endsPayload: endsPayload)
            }
        }
        let perLane = (chunks + lanes - 1) / lanes
        let pieces = ParallelChunks.map(lanes) { lane -> [UInt8] in
            let first = lane * perLane
            let end = min((first + perLane) * chunk, count)
            if first * chunk >= end { return [] }
            return plaintext.withUnsafeBytes { raw in
                cipher.sealChunks(
                    UnsafeRawBufferPointer(rebasing: raw[(first * chunk)..<end]), firstIndex: firstIndex + UInt64(first),
                    endsPayload: endsPayload && end == count)
            }
        }
        return Array(pieces.joined())
    }
}

/// Running independent chunk work on all cores: lane 0 on the calling thread, the others on
/// threads of our own.
///
/// Why not `DispatchQueue.concurrentPerform`: on Linux, Swift's cooperative pool runs on
/// Dispatch's global queues, and a `concurrentPerform` called from a task deadlocked in tests
/// (its helpers waited for the very pool threads it blocked). Dedicated threads depend on
/// neither, whoever calls.
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
