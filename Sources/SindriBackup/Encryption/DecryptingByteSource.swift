import Foundation
import SindriAge
import SindriSystem

/// The plaintext of an age-encrypted archive, read from another source (a file, standard
/// input, a remote object): every archive reader gets the `.tar.gz` it would get unencrypted.
///
/// Ciphertext is read a batch of chunks at a time (about 2 MiB), the chunks of a batch are
/// opened on all cores, and the plaintext is handed out in order; memory stays at about two
/// batches whatever the archive's size. Every chunk is authenticated before any of its bytes
/// are delivered, so a changed byte anywhere fails the read that reaches it, and a reader
/// that validates everything first (restore, verify) refuses the archive before writing.
///
/// Blocking: reads the inner source; runs on the engine's own thread like every source.
final class DecryptingByteSource: ArchiveByteSource {
    /// Chunks opened per batch: 32 x 64 KiB.
    static let batchChunks = 32

    private let inner: any ArchiveByteSource
    private let cipher: AgePayloadCipher
    let name: String
    let totalBytes: UInt64?
    /// Sealed bytes read and not opened yet (always less than a batch plus one chunk).
    private var sealed: [UInt8]
    private var innerEnded = false
    private var nextChunk: UInt64 = 0
    private var plaintext: [UInt8] = []
    private var plaintextOffset = 0
    private var finished = false

    /// - Parameters:
    ///   - afterPrefix: bytes already read from `inner` past the header and payload nonce.
    init(inner: any ArchiveByteSource, decryptor: AgeDecryptor, afterPrefix: [UInt8]) {
        self.inner = inner
        cipher = decryptor.cipher
        name = inner.name
        sealed = afterPrefix
        if let total = inner.totalBytes, total > UInt64(decryptor.prefixSize) {
            let payload = Int(total) - decryptor.prefixSize
            let chunks = (payload + AgePayloadCipher.sealedChunkSize - 1) / AgePayloadCipher.sealedChunkSize
            totalBytes = UInt64(max(0, payload - chunks * AgePayloadCipher.tagSize))
        } else {
            totalBytes = inner.totalBytes == nil ? nil : 0
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if buffer.isEmpty { return 0 }
        while plaintextOffset == plaintext.count {
            if finished { return 0 }
            try openNextBatch()
        }
        let count = min(buffer.count, plaintext.count - plaintextOffset)
        plaintext.withUnsafeBytes { raw in
            buffer.baseAddress!.copyMemory(from: raw.baseAddress! + plaintextOffset, byteCount: count)
        }
        plaintextOffset += count
        return count
    }

    /// Reads up to a batch of chunks plus one byte (so a full chunk is known not to be the
    /// last), opens them in parallel and makes their plaintext the next to deliver.
    private func openNextBatch() throws {
        let sealedChunk = AgePayloadCipher.sealedChunkSize
        let wanted = Self.batchChunks * sealedChunk + 1
        while sealed.count < wanted && !innerEnded {
            let got = try inner.read(upTo: wanted - sealed.count, appendingTo: &sealed)
            if got == 0 { innerEnded = true }
        }
        let count: Int
        if innerEnded {
            count = sealed.count
            finished = true
            if count == 0 && nextChunk == 0 {
                throw SindriError(.archiveCorrupt, "\(name): the encrypted archive is truncated: it ends after its header")
            }
        } else {
            count = (sealed.count - 1) / sealedChunk * sealedChunk
        }
        plaintext = try open(count: count, endsPayload: innerEnded)
        plaintextOffset = 0
        sealed.removeFirst(count)
    }

    private func open(count: Int, endsPayload: Bool) throws -> [UInt8] {
        let sealedChunk = AgePayloadCipher.sealedChunkSize
        let chunks = (count + sealedChunk - 1) / sealedChunk
        let first = nextChunk
        nextChunk += UInt64(chunks)
        let lanes = min(ParallelChunks.lanes, chunks / ParallelChunks.minimumChunksPerLane)
        let cipher = self.cipher
        let input = sealed
        @Sendable func run(_ range: Range<Int>) -> Result<[UInt8], AgeError> {
            var output: [UInt8] = []
            output.reserveCapacity(range.count * AgePayloadCipher.chunkSize)
            let start = range.lowerBound * sealedChunk
            let end = min(range.upperBound * sealedChunk, count)
            let isFinal = end == count && endsPayload
            return input.withUnsafeBytes { raw in
                Result { () throws(AgeError) -> [UInt8] in
                    try cipher.openChunks(
                        UnsafeRawBufferPointer(rebasing: raw[start..<end]), firstIndex: first + UInt64(range.lowerBound),
                        endsPayload: isFinal, into: &output)
                    return output
                }
            }
        }
        let results: [Result<[UInt8], AgeError>]
        if lanes < 2 {
            results = [run(0..<chunks)]
        } else {
            let perLane = (chunks + lanes - 1) / lanes
            results = ParallelChunks.map(lanes) { lane in
                let range = min(lane * perLane, chunks)..<min((lane + 1) * perLane, chunks)
                return range.isEmpty ? .success([]) : run(range)
            }
        }
        var plaintext: [UInt8] = []
        plaintext.reserveCapacity(count)
        for result in results {
            switch result {
            case .success(let bytes): plaintext += bytes
            case .failure(let error): throw EncryptedArchives.error(error, name: name)
            }
        }
        return plaintext
    }
}
