import CSindriSystem
import Crypto
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

    private let input: GzipMemberReader
    private let name: String
    private let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)

    // Memory is bounded by these limits, not by what headers declare nor by the core count: at
    // most `inflightMembers` members are alive between the input and the sink, each at most
    // `largestWholeCompressedMember` compressed and `largestWholeMember` inflated, plus the input
    // buffer and the hasher's two queued members. A member that declares more than our writer's
    // block size is not inflated whole: it is streamed through zlib in small pieces, in order,
    // once the members before it were delivered.
    /// Inflated bytes one member may declare and still be inflated whole on a worker.
    static let largestWholeMember = 1 << 20
    /// Compressed bytes of a member inflated whole (a 1 MiB block of incompressible data is
    /// stored, slightly larger than 1 MiB).
    static let largestWholeCompressedMember = 2 << 20
    /// Members inflating or waiting to be delivered: two per core keep every core busy while
    /// the sink takes one, and at most 16 whatever the machine.
    private var inflightMembers: Int { min(16, workers * 2) }

    init(source: any ArchiveByteSource) {
        input = GzipMemberReader(source: source)
        name = source.name
    }

    /// One whole member inflated by a worker, with what its failure must name.
    private struct InflatedMember: Sendable {
        var output: [UInt8]
        var isData: Bool
        var compressed: [UInt8]
    }

    /// Runs the whole input through, delivering the tar stream in order to `sink`, in immutable
    /// arrays the receiver can keep without copying.
    ///
    /// Whole members are inflated on the cores through a `BoundedPipeline` (at most two per core
    /// in flight, delivered in order) while this task cuts the next ones out of the input; the
    /// data members' compressed bytes are hashed in order by a serial pipeline beside it.
    func run(_ sink: ([UInt8]) async throws -> Void) async throws -> Summary {
        var summary = Summary()
        let digest = RunningDigest()
        let hashing = BoundedPipeline<Void>(width: 2, order: .serial)
        let inflating = BoundedPipeline<InflatedMember>(width: inflightMembers)
        let decompressors = try DecompressorSlots(count: inflating.width)
        var framedMembers = 0
        var first = true
        var framedToTheEnd = true
        func deliver(_ member: InflatedMember?) async throws {
            guard let member else { return }
            if member.isData {
                let bytes = member.compressed
                _ = try await hashing.submit { _ in digest.update(bytes) }
            }
            let output = member.output
            try await sink(output)
            summary.gzipMembers += 1
        }
        do {
            while true {
                try Interruption.checkpoint()
                let framing = try input.peekMember(allowStored: first)
                if framing == .end { break }
                guard case .member(let length, let uncompressed, let kind) = framing else {
                    framedToTheEnd = false
                    break
                }
                let isData = kind == .data
                first = false
                if length > Self.largestWholeCompressedMember || uncompressed > Self.largestWholeMember {
                    // Streamed on its own once the members before it are delivered.
                    while let done = try await inflating.next() { try await deliver(done) }
                    try await stream((length, uncompressed, isData), &summary, digest, hashing, sink)
                    framedMembers += 1
                    summary.compressedBytes = input.offset
                    continue
                }
                let offset = input.offset
                guard let compressed = try input.take(length) else {  // truncated: let zlib say so
                    framedToTheEnd = false
                    break
                }
                framedMembers += 1
                let ordinal = framedMembers
                let name = self.name
                let done = try await inflating.submit { slot in
                    do {
                        let output = try compressed.withUnsafeBytes {
                            try decompressors.slots[slot].decompressMember($0, uncompressedSize: uncompressed)
                        }
                        return InflatedMember(output: output, isData: isData, compressed: compressed)
                    } catch {
                        var located = (error as? CodecError)
                            ?? CodecError(kind: .corruptData, operation: "inflate", library: .sindri, message: "\(error)")
                        located.member = ordinal
                        located.memberOffset = offset
                        located.byteOffset = nil
                        throw SindriError(.archiveCorrupt, "\(name): \(located)", path: name, cause: located)
                    }
                }
                try await deliver(done)
                summary.compressedBytes = input.offset
            }
            while let done = try await inflating.next() { try await deliver(done) }
        } catch {
            await inflating.cancel()
            await hashing.cancel()
            throw error
        }
        if summary.gzipMembers == 0 && input.availableCount == 0 && input.endOfInput {
            await hashing.cancel()
            throw SindriError(.archiveCorrupt, "\(name): the archive is empty", path: name)
        }
        if !framedToTheEnd {
            await hashing.cancel()
            try await streamForeign(&summary, sink)
            return summary
        }
        try await hashing.finish()
        summary.dataChecksum = FileDigest.hex(digest.finalize())
        return summary
    }

    /// Streams the rest of the input through zlib: another tool's gzip, or damage that zlib will
    /// name. The decoder counts members and bytes from here; its errors are moved back to the
    /// file's own numbering, so every command names the same place.
    private func streamForeign(_ summary: inout Summary, _ sink: ([UInt8]) async throws -> Void) async throws {
        let membersBefore = summary.gzipMembers
        let bytesBefore = input.offset
        let counter = MemberCounter()
        let decoder = try GzipStreamDecoder(toleratesTrailingZeros: false, onMemberEnd: { _ in counter.count += 1 })
        do {
            while true {
                try Interruption.checkpoint()
                try input.fill(minimum: 1)
                if input.availableCount == 0 { break }
                // Fed in small pieces, each piece's output handed on before the next: 16 KiB of
                // deflate inflates to at most ~16 MiB, so a bomb cannot make us hold more.
                var pieces: [[UInt8]] = []
                let count = try input.withAvailable(upTo: 16 << 10) { piece in
                    try decoder.feed(piece, output: { pieces.append(Array($0)) })
                    return piece.count
                }
                input.advance(count)
                for piece in pieces { try await sink(piece) }
            }
            try decoder.finish()
        } catch let error as CodecError {
            var located = error.shifted(members: membersBefore, bytes: bytesBefore)
            if located.kind == .notGzip && membersBefore > 0 { located.kind = .trailingGarbage }
            throw SindriError(.archiveCorrupt, "\(name): \(located)", path: name, cause: located)
        }
        summary.gzipMembers = membersBefore + counter.count
        summary.compressedBytes = input.offset
    }

    /// Inflates the member at the cursor (declared `length` compressed bytes) through zlib, in
    /// pieces, without holding it whole: the member must end exactly at its declared length and
    /// inflate to its declared size.
    private func stream(_ member: (length: Int, uncompressed: Int, isData: Bool), _ summary: inout Summary,
                        _ digest: RunningDigest, _ hashing: BoundedPipeline<Void>,
                        _ sink: ([UInt8]) async throws -> Void) async throws {
        let memberStart = input.offset
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
            try input.fill(minimum: 1)
            let count = min(input.availableCount, remaining, 1 << 20)
            guard count > 0, let piece = try input.take(count) else { throw damaged("the archive ends inside it") }
            if member.isData { _ = try await hashing.submit { _ in digest.update(piece) } }
            // Fed 64 KiB at a time, each piece's output handed on before the next (bounded memory).
            var offset = 0
            while offset < count {
                let end = min(count, offset + (64 << 10))
                var outputs: [[UInt8]] = []
                do {
                    try piece.withUnsafeBytes { raw in
                        try decoder.feed(UnsafeRawBufferPointer(rebasing: raw[offset..<end]), output: { outputs.append(Array($0)) })
                    }
                } catch let error as CodecError {
                    throw damaged(error.message)
                }
                for output in outputs { try await sink(output) }
                offset = end
            }
            remaining -= count
            try Interruption.checkpoint()
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
}

/// The workers' decompressors, one per pipeline slot: a slot is used by one job at a time
/// (`BoundedPipeline` hands out each slot to at most one job in flight), so the C state of a
/// decompressor is never touched by two threads at once. That is why this is `@unchecked Sendable`.
private final class DecompressorSlots: @unchecked Sendable {
    let slots: [GzipMemberDecompressor]

    init(count: Int) throws {
        slots = try (0..<count).map { _ in try GzipMemberDecompressor() }
    }
}

/// SHA256 over the data members, in archive order. Only the jobs of one serial `BoundedPipeline`
/// update it (one after another), and `finalize` is called after that pipeline finished: never
/// two threads at once, hence `@unchecked Sendable`.
final class RunningDigest: @unchecked Sendable {
    private var hasher = SHA256()

    func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { hasher.update(bufferPointer: $0) }
    }

    func finalize() -> SHA256.Digest { hasher.finalize() }
}

/// Members the streaming decoder completed (its callback runs synchronously inside `feed`).
private final class MemberCounter {
    var count = 0
}
