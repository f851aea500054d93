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
    /// The opened batch: its first `plaintextCount` bytes, delivered from `plaintextOffset`.
    private var plaintext: [UInt8] = []
    private var plaintextCount = 0
    private var plaintextOffset = 0
    private var finished = false
    /// The failure of a batch: every later read repeats it (the batch's plaintext, partly
    /// written, is never delivered).
    private var failure: SindriError?

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
        if let failure { throw failure }
        while plaintextOffset == plaintextCount {
            if finished { return 0 }
            try openNextBatch()
        }
        let count = min(buffer.count, plaintextCount - plaintextOffset)
        plaintext.withUnsafeBytes { raw in
            buffer.baseAddress!.copyMemory(from: raw.baseAddress! + plaintextOffset, byteCount: count)
        }
        plaintextOffset += count
        return count
    }

    /// Reads up to a batch of chunks plus one byte (so a full chunk is known not to be the
    /// last), opens them in parallel and makes their plaintext the next to deliver.
    ///
    /// Both buffers are reused from batch to batch: the chunks are opened straight into
    /// `plaintext`, and only the sealed bytes past the batch (less than a chunk) move.
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
        let first = nextChunk
        nextChunk += UInt64((count + sealedChunk - 1) / sealedChunk)
        if plaintext.count < count {
            plaintext = [UInt8](repeating: 0, count: max(count, Self.batchChunks * AgePayloadCipher.chunkSize))
        }
        let cipher = self.cipher
        let endsPayload = innerEnded
        let result = sealed.withUnsafeBytes { input in
            plaintext.withUnsafeMutableBytes { output in
                Result { () throws(AgeError) in
                    try ParallelChunks.open(UnsafeRawBufferPointer(rebasing: input[..<count]), firstIndex: first,
                                            endsPayload: endsPayload, into: output, cipher: cipher)
                }
            }
        }
        switch result {
        case .success(let size): plaintextCount = size
        case .failure(let error):
            let failure = EncryptedArchives.error(error, name: name)
            self.failure = failure
            throw failure
        }
        plaintextOffset = 0
        sealed.removeFirst(count)
    }
}
