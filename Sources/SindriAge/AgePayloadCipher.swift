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
        try! ChaChaPoly.Nonce(data: Self.nonceBytes(index: index, isLast: isLast))
    }

    private static func nonceBytes(index: UInt64, isLast: Bool) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 12)
        for byte in 0..<8 { bytes[3 + byte] = UInt8(truncatingIfNeeded: index >> UInt64(8 * (7 - byte))) }
        bytes[11] = isLast ? 1 : 0
        return bytes
    }

    /// Seals one chunk of at most ``chunkSize`` bytes into `output`, which holds exactly its
    /// ciphertext and tag (`plaintext.count + tagSize` bytes).
    ///
    /// Only the last chunk may be short, and only an empty payload's single chunk may be empty.
    public func sealChunk(_ plaintext: UnsafeRawBufferPointer, index: UInt64, isLast: Bool, into output: UnsafeMutableRawBufferPointer) {
        precondition(plaintext.count <= Self.chunkSize && (isLast || plaintext.count == Self.chunkSize))
        precondition(output.count == plaintext.count + Self.tagSize)
        // ChaCha20-Poly1305 with a 32-byte key and a 12-byte nonce cannot fail.
        let box = try! ChaChaPoly.seal(plaintext, using: key, nonce: nonce(index: index, isLast: isLast))
        // `combined` is nonce || ciphertext || tag: the file holds what follows the nonce.
        box.combined.withUnsafeBytes { combined in
            output.copyMemory(from: UnsafeRawBufferPointer(rebasing: combined[(combined.count - output.count)...]))
        }
    }

    /// Seals consecutive chunks starting at chunk `firstIndex` into `output`, which holds
    /// exactly ``sealedSize(plaintextSize:)`` bytes; `plaintext` is cut at every ``chunkSize``
    /// (only a range that ends the payload may end with a short chunk), and the last chunk of
    /// the range carries the last-chunk flag when `endsPayload`.
    public func sealChunks(
        _ plaintext: UnsafeRawBufferPointer, firstIndex: UInt64, endsPayload: Bool, into output: UnsafeMutableRawBufferPointer
    ) {
        precondition(output.count == Self.sealedSize(plaintextSize: plaintext.count))
        var start = 0
        var written = 0
        var index = firstIndex
        repeat {
            let end = min(start + Self.chunkSize, plaintext.count)
            let isLast = end == plaintext.count && endsPayload
            let sealedEnd = written + (end - start) + Self.tagSize
            sealChunk(UnsafeRawBufferPointer(rebasing: plaintext[start..<end]), index: index, isLast: isLast,
                      into: UnsafeMutableRawBufferPointer(rebasing: output[written..<sealedEnd]))
            start = end
            written = sealedEnd
            index += 1
        } while start < plaintext.count
    }

    /// ``sealChunks(_:firstIndex:endsPayload:into:)`` into a new array.
    public func sealChunks(_ plaintext: UnsafeRawBufferPointer, firstIndex: UInt64, endsPayload: Bool) -> [UInt8] {
        let size = Self.sealedSize(plaintextSize: plaintext.count)
        return [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            sealChunks(plaintext, firstIndex: firstIndex, endsPayload: endsPayload, into: UnsafeMutableRawBufferPointer(buffer))
            count = size
        }
    }

    /// Opens one sealed chunk into `output` (at least its plaintext size: `sealed.count -
    /// tagSize`); returns how many bytes it released there.
    ///
    /// `isLast` says whether the chunk ends the input (no byte follows it). A chunk that
    /// authenticates under the other value of the last-chunk flag is released to `output` before
    /// the error, as age itself does: a full last chunk that is not flagged last ("the data ends
    /// without its final chunk": truncated at a chunk boundary), or a chunk flagged last that has
    /// data after it ("data after the end"). `released` is set to what was written either way.
    ///
    /// - Throws: ``AgeError`` of kind `.payload` when the chunk does not authenticate (changed,
    ///   truncated, reordered), or in the two cases above.
    public func openChunk(
        _ sealed: UnsafeRawBufferPointer, index: UInt64, isLast: Bool, into output: UnsafeMutableRawBufferPointer,
        released: inout Int
    ) throws(AgeError) {
        released = 0
        guard sealed.count >= Self.tagSize, sealed.count <= Self.sealedChunkSize,
              isLast || sealed.count == Self.sealedChunkSize
        else {
            throw .payload("the encrypted data is truncated or damaged at chunk \(index)")
        }
        precondition(output.count >= sealed.count - Self.tagSize)
        if open(sealed, index: index, flaggedLast: isLast, into: output) {
            // A last chunk may be empty only when it is the whole payload.
            if isLast && sealed.count == Self.tagSize && index != 0 {
                throw .payload("the encrypted data ends with an empty chunk")
            }
            released = sealed.count - Self.tagSize
            return
        }
        if sealed.count == Self.sealedChunkSize, open(sealed, index: index, flaggedLast: !isLast, into: output) {
            released = Self.chunkSize
            if isLast {
                throw .payload("the encrypted data is truncated: it ends after chunk \(index), which is not the last")
            }
            throw .payload("the encrypted data has trailing bytes after its last chunk")
        }
        throw .payload("the encrypted data is damaged or truncated at chunk \(index)")
    }

    /// Opens one sealed chunk and appends its plaintext to `output` (see
    /// ``openChunk(_:index:isLast:into:released:)``).
    public func openChunk(
        _ sealed: UnsafeRawBufferPointer, index: UInt64, isLast: Bool, into output: inout [UInt8]
    ) throws(AgeError) {
        try appending(to: &output, atMost: sealed.count) { (buffer, released) throws(AgeError) in
            try openChunk(sealed, index: index, isLast: isLast, into: buffer, released: &released)
        }
    }

    /// Writes the plaintext of `sealed` to `output` only when it authenticates (BoringSSL
    /// checks the tag before it releases any byte, and the plaintext is copied out after).
    private func open(
        _ sealed: UnsafeRawBufferPointer, index: UInt64, flaggedLast: Bool, into output: UnsafeMutableRawBufferPointer
    ) -> Bool {
        // The box's own layout, built once: nonce || ciphertext || tag.
        var combined = Data(capacity: 12 + sealed.count)
        combined.append(contentsOf: Self.nonceBytes(index: index, isLast: flaggedLast))
        combined.append(contentsOf: sealed)
        guard let box = try? ChaChaPoly.SealedBox(combined: combined),
              let plaintext = try? ChaChaPoly.open(box, using: key)
        else { return false }
        plaintext.withUnsafeBytes { output.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        return true
    }

    /// Opens consecutive sealed chunks starting at chunk `firstIndex` into `output` (at least
    /// `sealed.count` bytes); the last chunk of the range is opened as the payload's last when
    /// `endsPayload`. Returns the plaintext size. On a failure, `released` holds how many bytes
    /// of `output` the chunks that authenticated before it filled.
    @discardableResult
    public func openChunks(
        _ sealed: UnsafeRawBufferPointer, firstIndex: UInt64, endsPayload: Bool, into output: UnsafeMutableRawBufferPointer,
        released: inout Int
    ) throws(AgeError) -> Int {
        released = 0
        if sealed.isEmpty {
            throw .payload("the encrypted data is truncated: no chunk follows the header")
        }
        var start = 0
        var index = firstIndex
        while start < sealed.count {
            let end = min(start + Self.sealedChunkSize, sealed.count)
            let isLast = end == sealed.count && endsPayload
            var chunk = 0
            defer { released += chunk }
            try openChunk(UnsafeRawBufferPointer(rebasing: sealed[start..<end]), index: index, isLast: isLast,
                          into: UnsafeMutableRawBufferPointer(rebasing: output[released...]), released: &chunk)
            start = end
            index += 1
        }
        return released
    }

    /// Opens consecutive sealed chunks starting at chunk `firstIndex` and appends their
    /// plaintext to `output`; the last chunk of the range is opened as the payload's last when
    /// `endsPayload`. Plaintext of the chunks that authenticated before a failure stays in
    /// `output`.
    public func openChunks(
        _ sealed: UnsafeRawBufferPointer, firstIndex: UInt64, endsPayload: Bool, into output: inout [UInt8]
    ) throws(AgeError) {
        try appending(to: &output, atMost: sealed.count) { (buffer, released) throws(AgeError) in
            try openChunks(sealed, firstIndex: firstIndex, endsPayload: endsPayload, into: buffer, released: &released)
        }
    }

    /// Runs `body` on `count` bytes of room at the end of `output`, keeping what it released.
    private func appending(
        to output: inout [UInt8], atMost count: Int,
        _ body: (UnsafeMutableRawBufferPointer, inout Int) throws(AgeError) -> Void
    ) throws(AgeError) {
        let start = output.count
        output.append(contentsOf: repeatElement(0, count: count))
        var released = 0
        let result = output.withUnsafeMutableBytes { raw in
            Result { () throws(AgeError) in try body(UnsafeMutableRawBufferPointer(rebasing: raw[start...]), &released) }
        }
        output.removeLast(count - released)
        try result.get()
    }
}
