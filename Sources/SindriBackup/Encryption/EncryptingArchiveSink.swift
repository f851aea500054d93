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
        // Top `pending` up to a whole chunk; sealed only once more data follows it (it may be
        // the last).
        let topUp = min(chunk - pending.count, rest.count)
        pending += rest.prefix(topUp)
        rest = rest.dropFirst(topUp)
        if rest.isEmpty { return }
        // `pending` is a full chunk with data after it, and so is every full chunk of `rest`
        // but the one that ends it: sealed straight from the caller's bytes into one output.
        try writeStartIfNeeded()
        let direct = (rest.count - 1) / chunk * chunk
        let sealedChunk = AgePayloadCipher.sealedChunkSize
        let cipher = encryptor.cipher
        let first = nextChunk
        let size = (1 + direct / chunk) * sealedChunk
        let sealed = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            let output = UnsafeMutableRawBufferPointer(buffer)
            pending.withUnsafeBytes {
                cipher.sealChunk($0, index: first, isLast: false, into: UnsafeMutableRawBufferPointer(rebasing: output[..<sealedChunk]))
            }
            if direct > 0 {
                rest.withUnsafeBytes {
                    ParallelChunks.seal(UnsafeRawBufferPointer(rebasing: $0[..<direct]), firstIndex: first + 1, endsPayload: false,
                                        into: UnsafeMutableRawBufferPointer(rebasing: output[sealedChunk...]), cipher: cipher)
                }
            }
            count = size
        }
        nextChunk += 1 + UInt64(direct / chunk)
        pending.removeAll(keepingCapacity: true)
        pending += rest.dropFirst(direct)
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

    /// Seals the first `count` bytes of `plaintext` as chunks `firstIndex...` into a new array,
    /// spreading runs of chunks over the cores (each chunk is independent).
    static func seal(
        _ plaintext: [UInt8], count: Int, firstIndex: UInt64, endsPayload: Bool, cipher: AgePayloadCipher
    ) -> [UInt8] {
        let size = AgePayloadCipher.sealedSize(plaintextSize: count)
        return [UInt8](unsafeUninitializedCapacity: size) { buffer, written in
            plaintext.withUnsafeBytes { raw in
                ParallelChunks.seal(UnsafeRawBufferPointer(rebasing: raw[..<count]), firstIndex: firstIndex, endsPayload: endsPayload,
                                    into: UnsafeMutableRawBufferPointer(buffer), cipher: cipher)
            }
            written = size
        }
    }
}
