import SindriAge
import SindriSystem

/// The plaintext of an age file at any offset, for readers that hop rather than stream (a
/// base's index, read by stepping from block header to block header; a manifest at the start of
/// an object fetched with one ranged GET).
///
/// Plaintext byte `p` lies in chunk `p / 64 KiB`, which starts at a computable offset of the
/// file, so a read decrypts only the chunks it touches (at most 1 MiB at a time, the last range
/// kept for the next read). Every chunk is authenticated before any of its bytes are handed
/// out, and the chunk that the file's size makes the last one is opened as the last: a file
/// cut at a chunk boundary fails the read that reaches its end, as in a streaming read.
///
/// Not thread-safe: one reader per thread, like the sources.
final class DecryptedChunkReader {
    /// The chunks opened per read at most: 16 x 64 KiB.
    static let maximumChunks = 16

    private let cipher: AgePayloadCipher
    private let prefixSize: Int
    private let fileSize: Int
    private let lastChunk: Int
    private let name: String
    /// Reads `count` bytes of the file at `offset` (fewer only when the file ends first).
    private let readSealed: (_ offset: Int, _ count: Int) throws -> [UInt8]
    /// The plaintext bytes of the file.
    let plaintextSize: Int
    private var cacheStart = 0
    private var cache: [UInt8] = []

    /// - Throws: `SindriError` `.archiveCorrupt` when the file is too short for its header.
    init(decryptor: AgeDecryptor, fileSize: Int, name: String, readSealed: @escaping (_ offset: Int, _ count: Int) throws -> [UInt8]) throws {
        cipher = decryptor.cipher
        prefixSize = decryptor.prefixSize
        self.fileSize = fileSize
        self.name = name
        self.readSealed = readSealed
        let sealed = fileSize - decryptor.prefixSize
        let chunks = (sealed + AgePayloadCipher.sealedChunkSize - 1) / AgePayloadCipher.sealedChunkSize
        // Every chunk carries a tag, so a last chunk shorter than one is a cut file.
        guard chunks > 0, sealed - (chunks - 1) * AgePayloadCipher.sealedChunkSize >= AgePayloadCipher.tagSize else {
            throw SindriError(.archiveCorrupt, "\(name): the encrypted archive is truncated after its header", path: name)
        }
        lastChunk = chunks - 1
        plaintextSize = sealed - chunks * AgePayloadCipher.tagSize
    }

    /// Copies the plaintext at `offset` into `buffer`; returns how many bytes (fewer only at
    /// the end of the plaintext).
    ///
    /// - Throws: `SindriError` `.archiveCorrupt` for a chunk that does not authenticate.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws -> Int {
        var done = 0
        while done < buffer.count, offset + done < plaintextSize {
            let position = offset + done
            if position < cacheStart || position >= cacheStart + cache.count {
                try load(at: position, wanted: buffer.count - done)
            }
            let count = min(buffer.count - done, cacheStart + cache.count - position)
            cache.withUnsafeBytes { raw in
                (buffer.baseAddress! + done).copyMemory(from: raw.baseAddress! + (position - cacheStart), byteCount: count)
            }
            done += count
        }
        return done
    }

    /// Opens the chunks holding `wanted` bytes from `position` (at most ``maximumChunks``).
    private func load(at position: Int, wanted: Int) throws {
        let chunkSize = AgePayloadCipher.chunkSize
        let first = position / chunkSize
        let needed = (position - first * chunkSize + wanted + chunkSize - 1) / chunkSize
        let count = min(max(1, needed), Self.maximumChunks, lastChunk - first + 1)
        let start = prefixSize + first * AgePayloadCipher.sealedChunkSize
        let end = min(start + count * AgePayloadCipher.sealedChunkSize, fileSize)
        let sealed = try readSealed(start, end - start)
        guard sealed.count == end - start else {
            throw SindriError(.archiveCorrupt, "\(name): the encrypted archive ended while it was read (at byte \(start + sealed.count))", path: name)
        }
        var plaintext: [UInt8] = []
        plaintext.reserveCapacity(count * chunkSize)
        let cipher = self.cipher
        let isLast = first + count - 1 == lastChunk
        let result = sealed.withUnsafeBytes { raw in
            Result { () throws(AgeError) in
                try cipher.openChunks(raw, firstIndex: UInt64(first), endsPayload: isLast, into: &plaintext)
            }
        }
        if case .failure(let error) = result { throw EncryptedArchives.error(error, name: name) }
        cache = plaintext
        cacheStart = first * chunkSize
    }
}
