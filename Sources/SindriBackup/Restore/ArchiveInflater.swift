import CSindriSystem
import Crypto
import Dispatch
import Foundation
import SindriArchive
import SindriCodecs
#if canImport(Glibc)
import Glibc
import SindriSystem
#endif

/// Inflates an archive to its tar stream, in parallel when the archive is ours.
///
/// Our archives are a stored manifest member followed by self-describing block members (their
/// gzip FEXTRA records each member's sizes), so whole members can be cut out of the input as it
/// arrives, from a file or a pipe alike, and inflated on all cores with libdeflate, which checks
/// each member's CRC32 and length. Anything else (another tool's gzip, or a member without our
/// header) continues through zlib's streaming inflater from that point on. Either way the whole
/// stream is read to its end, and trailing garbage is an error.
final class ArchiveInflater {
    /// What the inflater saw.
    struct Summary {
        var gzipMembers = 0
        var compressedBytes = 0
        /// SHA256 of the data members' compressed bytes, when every member was framed.
        var dataChecksum: String?
    }

    private let source: any ArchiveByteSource
    private let name: String
    private let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
    /// Largest member the framing accepts at all (larger goes to zlib's streaming inflater).
    private static let maximumMember = BlockMemberCompressor.maximumBlockSize

    // Memory is bounded by these limits, not by what headers declare nor by the core count: at
    // most two batches are alive (one inflating, one being delivered), each holding at most
    // `batchOutputBudget` of inflated members and `batchInputBudget` (+ one member) of their
    // compressed bytes, plus the input buffer and the hasher's queue. A member that declares
    // more than our writer's block size is not inflated whole: it is streamed through zlib in
    // 256 KiB pieces, in order, between batches.
    /// Inflated bytes one member may declare and still be inflated whole on a worker.
    static let largestWholeMember = 1 << 20
    /// Compressed bytes of a member inflated whole (a 1 MiB block of incompressible data is
    /// stored, slightly larger than 1 MiB).
    static let largestWholeCompressedMember = 2 << 20
    /// Declared inflated bytes of one batch.
    static let batchOutputBudget = 32 << 20
    /// Compressed bytes of one batch.
    static let batchInputBudget = 8 << 20
    /// Members of one batch (enough to keep every worker busy).
    private var batchMemberLimit: Int { min(64, workers * 4) }

    init(source: any ArchiveByteSource) {
        self.source = source
        self.name = source.name
    }

    private var buffer: [UInt8] = []
    private var start = 0          // first unconsumed byte in `buffer`
    private var consumedBefore = 0 // absolute offset of buffer[0]
    private var endOfInput = false

    /// Drops consumed bytes (only between batches: batch offsets point into `buffer`).
    private func compact() {
        guard start > 0 else { return }
        buffer.removeFirst(start)
        consumedBefore += start
        start = 0
    }

    private func fill(minimum: Int) throws {
        while buffer.count - start < minimum && !endOfInput {
            let old = buffer.count
            buffer.append(contentsOf: [UInt8](repeating: 0, count: 4 << 20))
            let count = try buffer.withUnsafeMutableBytes { raw -> Int in
                try source.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[old...]))
            }
            buffer.removeLast(buffer.count - old - count)
            if count == 0 { endOfInput = true }
        }
    }

    enum Framing: Equatable { case member(length: Int, uncompressed: Int, isData: Bool, isTrailer: Bool), needMore, foreign }

    /// Runs the whole input through, delivering the tar stream in order to `sink`: the bytes, and
    /// the immutable array holding them when there is one (the parallel path), so the receiver
    /// can keep them without copying.
    func run(_ sink: (UnsafeRawBufferPointer, [UInt8]?) throws -> Void) throws -> Summary {
        var summary = Summary()
        let hasher = BackgroundHasher(label: "sindri.archive-checksum")
        var first = true
        var framedToTheEnd = true
        let decompressors = try (0..<workers).map { _ in try GzipMemberDecompressor() }
        var pending: InflatingBatch?
        while true {
            try Interruption.checkpoint()
            compact()
            // Collect a batch of whole members.
            var batch: [(offset: Int, length: Int, uncompressed: Int, isData: Bool)] = []
            var batchBytes = 0
            var batchOutput = 0
            var foreign = false
            var streamed: (length: Int, uncompressed: Int, isData: Bool)?
            while batch.count < batchMemberLimit && batchBytes < Self.batchInputBudget {
                let cursor = start + batchBytes
                try fill(minimum: cursor - start + BlockMemberHeader.size)
                if cursor >= buffer.count { break }
                var framing = frame(at: cursor, first: first && batch.isEmpty)
                if case .needMore = framing {
                    try fill(minimum: cursor - start + 1 << 16)
                    framing = frame(at: cursor, first: first && batch.isEmpty)
                }
                guard case .member(let length, let uncompressed, let isData, _) = framing else {
                    foreign = true
                    break
                }
                if length > Self.largestWholeCompressedMember || uncompressed > Self.largestWholeMember {
                    // Streamed on its own once the members before it are delivered.
                    if batch.isEmpty { streamed = (length, uncompressed, isData) }
                    break
                }
                if !batch.isEmpty && batchOutput + uncompressed > Self.batchOutputBudget { break }
                try fill(minimum: cursor - start + length)
                guard buffer.count - cursor >= length else { foreign = true; break }  // truncated: let zlib say so
                batch.append((cursor, length, uncompressed, isData))
                batchBytes += length
                batchOutput += uncompressed
            }
            if !batch.isEmpty {
                first = false
                // Copy the batch out of the input buffer (which keeps growing), then inflate it on
                // the workers while this thread hands the previous batch's tar stream to `sink`.
                let inflating = InflatingBatch(buffer: buffer, batch: batch, firstOffset: consumedBefore)
                if let previous = pending {
                    previous.wait()
                    inflating.start(decompressors: decompressors, workers: workers)
                    try deliver(previous, &summary, hasher, sink)
                } else {
                    inflating.start(decompressors: decompressors, workers: workers)
                }
                pending = inflating
                start += batchBytes
                summary.compressedBytes = consumedBefore + start
            }
            if foreign {
                framedToTheEnd = false
                break
            }
            if let member = streamed {
                first = false
                if let previous = pending {
                    previous.wait()
                    try deliver(previous, &summary, hasher, sink)
                    pending = nil
                }
                try stream(member, &summary, hasher, sink)
                summary.compressedBytes = consumedBefore + start
                continue
            }
            if batch.isEmpty {
                try fill(minimum: 1)
                if buffer.count == start && endOfInput { break }
            }
        }
        if let last = pending {
            last.wait()
            try deliver(last, &summary, hasher, sink)
        }
        if summary.gzipMembers == 0 && buffer.count == start && endOfInput {
            throw SindriError(.archiveCorrupt, "\(name): the archive is empty", path: name)
        }
        if !framedToTheEnd {
            // Streaming from here on: another tool's gzip, or damage that zlib will name. The
            // decoder counts members and bytes from here; its errors are moved back to the
            // file's own numbering, so every command names the same place.
            let membersBefore = summary.gzipMembers
            let bytesBefore = consumedBefore + start
            let decoder = try GzipStreamDecoder(toleratesTrailingZeros: false, onMemberEnd: { _ in summary.gzipMembers += 1 })
            do {
                while true {
                    try fill(minimum: 1)
                    if buffer.count == start { break }
                    try buffer.withUnsafeBytes { raw in
                        try decoder.feed(UnsafeRawBufferPointer(rebasing: raw[start...]), output: { try sink($0, nil) })
                    }
                    consumedBefore += buffer.count
                    buffer.removeAll(keepingCapacity: true)
                    start = 0
                }
                try decoder.finish()
            } catch let error as CodecError {
                var located = error.shifted(members: membersBefore, bytes: bytesBefore)
                if located.kind == .notGzip && membersBefore > 0 { located.kind = .trailingGarbage }
                throw SindriError(.archiveCorrupt, "\(name): \(located)", path: name)
            }
            summary.compressedBytes = consumedBefore
            return summary
        }
        summary.dataChecksum = FileDigest.hex(hasher.finalize())
        return summary
    }

    /// Hands an inflated batch's tar stream to `sink`, in order, hashing its data members.
    private func deliver(_ batch: InflatingBatch, _ summary: inout Summary, _ hasher: BackgroundHasher,
                         _ sink: (UnsafeRawBufferPointer, [UInt8]?) throws -> Void) throws {
        // The archive checksum covers the data members' compressed bytes, in order: hashed on
        // another thread while this one parses (CRCs were checked by the inflate workers).
        let dataRanges = batch.members.filter(\.isData).map { ($0.offset - batch.base)..<($0.offset - batch.base + $0.length) }
        hasher.update(batch.compressed, ranges: dataRanges)
        for (index, member) in batch.members.enumerated() {
            if let failure = batch.failures[index] {
                var located = (failure as? CodecError)
                    ?? CodecError(kind: .corruptData, operation: "inflate", library: .sindri, message: "\(failure)")
                located.member = summary.gzipMembers + 1
                located.memberOffset = batch.firstOffset + member.offset
                located.byteOffset = nil
                throw SindriError(.archiveCorrupt, "\(name): \(located)", path: name)
            }
            let output = batch.outputs[index]
            try output.withUnsafeBytes { try sink($0, output) }
            summary.gzipMembers += 1
        }
    }

    /// Inflates the member at `start` (declared `length` compressed bytes) through zlib, in
    /// pieces, without holding it whole: the member must end exactly at its declared length and
    /// inflate to its declared size.
    private func stream(_ member: (length: Int, uncompressed: Int, isData: Bool), _ summary: inout Summary,
                        _ hasher: BackgroundHasher, _ sink: (UnsafeRawBufferPointer, [UInt8]?) throws -> Void) throws {
        let memberStart = consumedBefore + start
        func damaged(_ reason: String) -> SindriError {
            SindriError(.archiveCorrupt, "\(name): gzip member at byte \(memberStart) is damaged: \(reason)", path: name)
        }
        let decoder: GzipStreamDecoder
        do {
            decoder = try GzipStreamDecoder(toleratesTrailingZeros: false)
        } catch {
            throw damaged(error.message)
        }
        var remaining = member.length
        while remaining > 0 {
            compact()
            try fill(minimum: 1)
            let available = buffer.count - start
            guard available > 0 else { throw damaged("the archive ends inside it") }
            let count = min(available, remaining, 1 << 20)
            let piece = Array(buffer[start..<(start + count)])
            if member.isData { hasher.update(piece, ranges: [0..<count]) }
            do {
                try piece.withUnsafeBytes { raw in try decoder.feed(raw, output: { try sink($0, nil) }) }
            } catch let error as CodecError {
                throw damaged(error.message)
            }
            start += count
            remaining -= count
        }
        do {
            try decoder.finish()
        } catch {
            throw damaged(error.message)
        }
        guard decoder.membersCompleted == 1, decoder.uncompressedBytesProduced == member.uncompressed else {
            throw damaged("its header's sizes do not match its contents")
        }
        summary.gzipMembers += 1
    }

    /// Recognizes the member at `offset`: a stored member (the manifest's) or a block member.
    private func frame(at offset: Int, first: Bool) -> Framing {
        buffer.withUnsafeBytes { raw -> Framing in
            let bytes = UnsafeRawBufferPointer(rebasing: raw[offset...])
            if let header = BlockMemberHeader.parse(bytes) {
                guard header.compressedLength <= Self.maximumMember * 2, header.uncompressedLength <= Self.maximumMember else { return .foreign }
                return .member(length: header.compressedLength, uncompressed: header.uncompressedLength,
                               isData: header.kind == .data, isTrailer: header.kind == .trailer)
            }
            guard first else { return .foreign }
            return Self.storedMember(bytes)
        }
    }

    /// The length of a gzip member made only of byte-aligned stored deflate blocks (our manifest member).
    ///
    /// Its decoded size is the sum of the stored blocks, never the trailer's ISIZE, which a
    /// damaged or hostile member can set to 4 GiB and make us allocate that much; libdeflate
    /// still checks ISIZE against what it decoded.
    static func storedMember(_ bytes: UnsafeRawBufferPointer) -> Framing {
        guard bytes.count >= 10 else { return .needMore }
        guard bytes[0] == 0x1F, bytes[1] == 0x8B, bytes[2] == 8, bytes[3] == 0 else { return .foreign }
        var position = 10
        var stored = 0
        while true {
            guard bytes.count >= position + 5 else { return .needMore }
            let header = bytes[position]
            guard header <= 1 else { return .foreign }
            let length = Int(bytes[position + 1]) | Int(bytes[position + 2]) << 8
            let inverse = Int(bytes[position + 3]) | Int(bytes[position + 4]) << 8
            guard length == (~inverse & 0xFFFF) else { return .foreign }
            position += 5 + length
            stored += length
            if position > maximumMember { return .foreign }
            if header == 1 { break }
        }
        guard bytes.count >= position + 8 else { return .needMore }
        return .member(length: position + 8, uncompressed: stored, isData: false, isTrailer: false)
    }
}

/// One batch of whole gzip members copied out of the input, inflated on the worker threads.
private final class InflatingBatch: @unchecked Sendable {
    typealias Member = (offset: Int, length: Int, uncompressed: Int, isData: Bool)
    /// The members' bytes; `base` is the input-buffer offset of its first byte.
    let compressed: [UInt8]
    let base: Int
    /// Absolute offset in the file of input-buffer offset 0, for messages.
    let firstOffset: Int
    let members: [Member]
    var outputs: [[UInt8]]
    var failures: [Error?]
    private let done = DispatchGroup()

    init(buffer: [UInt8], batch: [Member], firstOffset: Int) {
        let first = batch.first!.offset
        let last = batch.last!.offset + batch.last!.length
        compressed = Array(buffer[first..<last])
        base = first
        self.firstOffset = firstOffset
        members = batch
        outputs = Array(repeating: [], count: batch.count)
        failures = Array(repeating: nil, count: batch.count)
    }

    /// Inflates every member on up to `workers` threads; each worker uses its own decompressor.
    func start(decompressors: [GzipMemberDecompressor], workers: Int) {
        done.enter()
        nonisolated(unsafe) let decompressors = decompressors
        DispatchQueue.global(qos: .userInitiated).async {
            let workerCount = min(workers, self.members.count)
            self.compressed.withUnsafeBytes { raw in
                self.outputs.withUnsafeMutableBufferPointer { outputs in
                    self.failures.withUnsafeMutableBufferPointer { failures in
                        nonisolated(unsafe) let shared = (raw, outputs.baseAddress!, failures.baseAddress!)
                        DispatchQueue.concurrentPerform(iterations: workerCount) { worker in
                            let (raw, outputs, failures) = shared
                            var index = worker
                            while index < self.members.count {
                                let member = self.members[index]
                                let from = member.offset - self.base
                                do {
                                    outputs[index] = try decompressors[worker].decompressMember(
                                        UnsafeRawBufferPointer(rebasing: raw[from..<(from + member.length)]),
                                        uncompressedSize: member.uncompressed)
                                } catch {
                                    failures[index] = error
                                }
                                index += workerCount
                            }
                        }
                    }
                }
            }
            self.done.leave()
        }
    }

    func wait() { done.wait() }
}

/// SHA256 over a sequence of buffers, computed on its own thread in submission order, with at
/// most `depth` buffers waiting (each buffer is an immutable array kept alive until hashed).
final class BackgroundHasher: @unchecked Sendable {
    private let queue: DispatchQueue
    private let slots: DispatchSemaphore
    private var hasher = SHA256()  // only touched on `queue`

    init(label: String, depth: Int = 2) {
        queue = DispatchQueue(label: label, qos: .userInitiated)
        slots = DispatchSemaphore(value: depth)
    }

    /// Queues `ranges` of `buffer` to be hashed after everything queued before.
    func update(_ buffer: [UInt8], ranges: [Range<Int>]) {
        guard !ranges.isEmpty else { return }
        slots.wait()
        queue.async { [self] in
            buffer.withUnsafeBytes { raw in
                for range in ranges { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: raw[range])) }
            }
            slots.signal()
        }
    }

    /// Waits for everything queued and returns the digest.
    func finalize() -> SHA256.Digest {
        queue.sync { hasher.finalize() }
    }
}
