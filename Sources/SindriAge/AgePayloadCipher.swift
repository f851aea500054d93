import Crypto
import Foundation

/// The STREAM payload of an age file: the plaintext cut into 64 KiB chunks, each sealed with
/// ChaCha20-Poly1305 under the payload key and the nonce `counter (11 bytes, big endian) ||
/// last-chunk flag`. Chunks are independent, so any range of them is sealed or opened by a
/// pure function: callers run them on all cores, and chunk `k` is found at a computable offset.
///
/// A payload key must never seal two different plaintexts under the same chunk index: callers
/// that rewrite data (the manifest at the start of an archive) seal each chunk exactly once.
public struct AgePayloadCipher: Sendable {
    /// Plaintext bytes per chunk (all chunks but the last are full).
    public static let chunkSize = 64 * 1024
    /// The Poly1305 tag each sealed chunk carries.
    public static let tagSize = 16
    /// Ciphertext bytes of a full chunk.
    public static let sealedChunkSize = chunkSize + tagSize
    /// The random nonce between the header and the first chunk.
    public static let nonceSize = 16

    private let sealedKey: ImmutableCryptoValue<SymmetricKey>
    private var key: SymmetricKey { sealedKey.value }

    /// The cipher of a payload whose file key is `fileKey` and whose 16-byte nonce is `nonce`.
    init(fileKey: SymmetricKey, nonce: [UInt8]) {
        sealedKey = ImmutableCryptoValue(HKDF<SHA256>.deriveKey(
            inputKeyMaterial: fileKey, salt: nonce, info: Array("payload".utf8), outputByteCount: 32))
    }

    /// Where chunk `index` starts, counted from the first byte after the payload nonce.
    public static func sealedOffset(ofChunk index: Int) -> Int {
        index * sealedChunkSize
    }

    /// The number of chunks a plaintext of `size` bytes needs (an empty one still has one).
    public static func chunkCount(plaintextSize size: Int) -> Int {
        max(1, (size + chunkSize - 1) / chunkSize)
    }

    /// The ciphertext size of a plaintext of `size` bytes, nonce excluded.
    public static func sealedSize(plaintextSize size: Int) -> Int {
        size + chunkCount(plaintextSize: size) * tagSize
    }

    private func nonce(index: UInt64, isLast: Bool) -> ChaChaPoly.Nonce {
        var bytes = [UInt8](repeating: 0, count: 12)
        for byte in 0..<8 { bytes[3 + byte] = UInt8(truncatingIfNeeded: index >> UInt64(8 * (7 - byte))) }
        bytes[11] = isLast ? 1 : 0
        return try! ChaChaPoly.Nonce(data: bytes)
    }

    /// Seals one chunk of at most ``chunkSize`` bytes and appends the ciphertext and tag to `output`.
    ///
    /// Only the last chunk may be short, and only an empty payload's single chunk may be empty.
    public func sealChunk(_ plaintext: UnsafeRawBufferPointer, index: UInt64, isLast: Bool, into output: inout [UInt8]) {
        precondition(plaintext.count <= Self.chunkSize && (isLast || plaintext.count == Self.chunkSize))
        // ChaCha20-Poly1305 with a 32-byte key and a 12-byte nonce cannot fail.
        let box = try! ChaChaPoly.seal(plaintext, using: key, nonce: nonce(index: index, isLast: isLast))
        output += box.ciphertext
        output += box.tag
    }

    /// Seals consecutive chunks starting at chunk `firstIndex`; `plaintext` is cut at every
    /// ``chunkSize``, and the last chunk of the range carries the last-chunk flag when
    /// `endsPayload`.
    public func sealChunks(_ plaintext: UnsafeRawBufferPointer, firstIndex: UInt64, endsPayload: Bool) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(plaintext.count + (plaintext.count / Self.chunkSize + 1) * Self.tagSize)
        var start = 0
        var index = firstIndex
        repeat {
            let end = min(start + Self.chunkSize, plaintext.count)
            let isLast = end == plaintext.count && endsPayload
            sealChunk(UnsafeRawBufferPointer(rebasing: plaintext[start..<end]), index: index, isLast: isLast, into: &output)
            start = end
            index += 1
        } while start < plaintext.count
        return output
    }

    /// Opens one sealed chunk and appends its plaintext to `output`.
    ///
    /// `isLast` says whether the chunk ends the input (no byte follows it). A chunk that
    /// authenticates under the other value of the last-chunk flag is released to `output` before
    /// the error, as age itself does: a full last chunk that is not flagged last ("the data ends
    /// without its final chunk": truncated at a chunk boundary), or a chunk flagged last that has
    /// data after it ("data after the end").
    ///
    /// - Throws: ``AgeError`` of kind `.payload` when the chunk does not authenticate (changed,
    ///   truncated, reordered), or in the two cases above.
    public func openChunk(
        _ sealed: UnsafeRawBufferPointer, index: UInt64, isLast: Bool, into output: inout [UInt8]
    ) throws(AgeError) {
        guard sealed.count >= Self.tagSize, sealed.count <= Self.sealedChunkSize,
              isLast || sealed.count == Self.sealedChunkSize
        else {
            throw .payload("the encrypted data is truncated or damaged at chunk \(index)")
        }
        if let plaintext = open(sealed, index: index, flaggedLast: isLast) {
            // A last chunk may be empty only when it is the whole payload.
            if isLast && plaintext.isEmpty && index != 0 {
                throw .payload("the encrypted data ends with an empty chunk")
            }
            output += plaintext
            return
        }
        if sealed.count == Self.sealedChunkSize, let plaintext = open(sealed, index: index, flaggedLast: !isLast) {
            output += plaintext
            if isLast {
                throw .payload("the encrypted data is truncated: it ends after chunk \(index), which is not the last")
            }
            throw .payload("the encrypted data has trailing bytes after its last chunk")
        }
        throw .payload("the encrypted data is damaged or truncated at chunk \(index)")
    }

    private func open(_ sealed: UnsafeRawBufferPointer, index: UInt64, flaggedLast: Bool) -> Data? {
        let split = sealed.count - Self.tagSize
        guard let box = try? ChaChaPoly.SealedBox(
            nonce: nonce(index: index, isLast: flaggedLast),
            ciphertext: UnsafeRawBufferPointer(rebasing: sealed[..<split]),
            tag: UnsafeRawBufferPointer(rebasing: sealed[split...]))
        else { return nil }
        return try? ChaChaPoly.open(box, using: key)
    }

    /// Opens consecutive sealed chunks starting at chunk `firstIndex`; the last chunk of the
    /// range is opened as the payload's last when `endsPayload`. Plaintext of the chunks that
    /// authenticated before a failure stays in `output`.
    public func openChunks(
        _ sealed: UnsafeRawBufferPointer, firstIndex: UInt64, endsPayload: Bool, into output: inout [UInt8]
    ) throws(AgeError) {
        if sealed.isEmpty {
            throw .payload("the encrypted data is truncated: no chunk follows the header")
        }
        var start = 0
        var index = firstIndex
        while start < sealed.count {
            let end = min(start + Self.sealedChunkSize, sealed.count)
            let isLast = end == sealed.count && endsPayload
            try openChunk(UnsafeRawBufferPointer(rebasing: sealed[start..<end]), index: index, isLast: isLast, into: &output)
            start = end
            index += 1
        }
    }
}
