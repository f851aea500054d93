import Foundation
import SindriAge
import SindriSystem
import Testing

@testable import SindriBackup

/// The encrypting sink and the decrypting source against in-memory ends: the manifest's chunk
/// is sealed once, with its final content, and the plaintext comes back whatever the write and
/// read sizes.
@Suite struct EncryptedSinkAndSourceTests {
    /// A sink that keeps everything in memory and records what `commit` replaced.
    final class MemorySink: ArchiveSink, @unchecked Sendable {
        // @unchecked: used by one test at a time, from one thread.
        var bytes: [UInt8] = []
        var bytesBeforeCommit: [UInt8]?
        var committed = false
        var aborted = false
        let canReplaceStart: Bool

        init(canReplaceStart: Bool) { self.canReplaceStart = canReplaceStart }

        var location: String? { canReplaceStart ? "memory" : nil }
        var identity: FileIdentity? { nil }
        var bytesWritten: UInt64 { UInt64(bytes.count) }
        var notes: [String] { [] }
        func write(_ bytes: [UInt8], isData: Bool) throws { self.bytes += bytes }
        func dataChecksum() -> String { "" }
        func commit(replacingStartWith start: [UInt8]?) throws -> String? {
            bytesBeforeCommit = bytes
            if let start { bytes.replaceSubrange(0..<start.count, with: start) }
            committed = true
            return nil
        }
        func abort() { aborted = true }
    }

    /// A source that hands out at most `step` bytes per read.
    final class MemorySource: ArchiveByteSource {
        let bytes: [UInt8]
        let step: Int
        var offset = 0
        init(_ bytes: [UInt8], step: Int) {
            self.bytes = bytes
            self.step = step
        }
        var name: String { "memory" }
        var totalBytes: UInt64? { UInt64(bytes.count) }
        func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            let count = min(buffer.count, step, bytes.count - offset)
            bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + offset, byteCount: count) }
            offset += count
            return count
        }
    }

    static func pattern(_ count: Int, seed: UInt8) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed) &+ $0 >> 9) }
    }

    /// Writes a placeholder "manifest", data in uneven pieces, commits with the final manifest,
    /// and returns the sink, the final plaintext and the identity.
    static func encrypt(dataSize: Int, manifestSize: Int, canReplaceStart: Bool) throws
        -> (sink: MemorySink, plaintext: [UInt8], identity: AgeX25519Identity) {
        let identity = AgeX25519Identity()
        let inner = MemorySink(canReplaceStart: canReplaceStart)
        let sink = EncryptingArchiveSink(inner: inner, encryptor: try AgeEncryptor(recipients: [identity.recipient]))
        let placeholder = [UInt8](repeating: 0x50, count: manifestSize)
        try sink.write(placeholder, isData: false)
        let data = pattern(dataSize, seed: 3)
        var offset = 0
        var piece = 1
        while offset < data.count {
            let end = min(offset + piece, data.count)
            try sink.write(Array(data[offset..<end]), isData: true)
            offset = end
            piece = piece * 7 % 300_001 + 1
        }
        let manifest = [UInt8](repeating: 0x4D, count: manifestSize)
        _ = try sink.commit(replacingStartWith: canReplaceStart ? manifest : nil)
        #expect(inner.committed)
        return (inner, (canReplaceStart ? manifest : placeholder) + data, identity)
    }

    static func decrypt(_ file: [UInt8], identity: AgeX25519Identity, step: Int) throws -> [UInt8] {
        let source = try EncryptedArchives.open(
            MemorySource(file, step: step), keys: ArchiveDecryptionKeys(identities: [identity]))
        var out: [UInt8] = []
        while try source.read(upTo: 50_000, appendingTo: &out) > 0 {}
        #expect(source.totalBytes == UInt64(out.count))
        return out
    }

    @Test(arguments: [(0, 1100), (10, 1100), (65_536 - 1100, 1100), (65_536, 1100), (200_000, 1100), (3_000_000, 1100), (500_000, 70_000)])
    func theManifestChunkIsSealedOnceWithItsFinalContent(dataSize: Int, manifestSize: Int) throws {
        let (sink, plaintext, identity) = try Self.encrypt(dataSize: dataSize, manifestSize: manifestSize, canReplaceStart: true)
        #expect(try Self.decrypt(sink.bytes, identity: identity, step: 70_001) == plaintext)
        // Before commit, the held chunks' place held zeros: no provisional ciphertext was written.
        let before = try #require(sink.bytesBeforeCommit)
        let prefix = AgeFileLayout.payloadStart(sink.bytes)
        let heldChunks = (manifestSize + 65_535) / 65_536
        if before != sink.bytes {
            #expect(before[prefix..<(prefix + heldChunks * AgePayloadCipher.sealedChunkSize)].allSatisfy { $0 == 0 })
            #expect(Array(before.prefix(prefix)) == Array(sink.bytes.prefix(prefix)))
        } else {
            // The archive fitted in the held chunks and the last one: written once, at commit.
            #expect(plaintext.count <= heldChunks * 65_536 + 65_536)
        }
        #expect(sink.bytes.count == prefix + AgePayloadCipher.sealedSize(plaintextSize: plaintext.count))
    }

    @Test(arguments: [0, 65_536, 1_000_000])
    func aStreamIsSealedInOrderAndOpensWithSmallReads(dataSize: Int) throws {
        let (sink, plaintext, identity) = try Self.encrypt(dataSize: dataSize, manifestSize: 1100, canReplaceStart: false)
        #expect(try Self.decrypt(sink.bytes, identity: identity, step: 4097) == plaintext)
    }

    /// Pieces that top a chunk up, exact chunk multiples, and pieces large enough to be sealed
    /// on several lanes: the file is byte for byte the whole plaintext sealed in one go, so
    /// every chunk got its own index and only the last one the last-chunk flag.
    @Test(arguments: [[1, 65_535, 2_000_000, 65_536, 3], [1_048_576, 1_048_576], [131_072 * 5 + 7], [65_536]])
    func writesOfAnySizeGiveTheFileOfOneSeal(pieces: [Int]) throws {
        let identity = AgeX25519Identity()
        let encryptor = try AgeEncryptor(recipients: [identity.recipient])
        let inner = MemorySink(canReplaceStart: false)
        let sink = EncryptingArchiveSink(inner: inner, encryptor: encryptor)
        let plaintext = Self.pattern(pieces.reduce(0, +), seed: 5)
        var offset = 0
        for piece in pieces {
            try sink.write(Array(plaintext[offset..<(offset + piece)]), isData: true)
            offset += piece
        }
        _ = try sink.commit(replacingStartWith: nil)
        let whole = plaintext.withUnsafeBytes { encryptor.cipher.sealChunks($0, firstIndex: 0, endsPayload: true) }
        #expect(inner.bytes == encryptor.prefix + whole)
        #expect(try Self.decrypt(inner.bytes, identity: identity, step: 1 << 20) == plaintext)
    }

    /// A batch of chunks is opened on several lanes into one buffer: a changed byte in any
    /// chunk of it (here the first lane's or the second's) refuses the whole batch, and no
    /// byte of it is handed out, while the batches before it were.
    @Test(arguments: [(3, 0), (20, 0), (40, 32 * 65_536)])
    func aChangedChunkRefusesItsWholeBatch(chunk: Int, delivered: Int) throws {
        let identity = AgeX25519Identity()
        let encryptor = try AgeEncryptor(recipients: [identity.recipient])
        let plaintext = Self.pattern(45 * 65_536 + 100, seed: 7)
        var file = encryptor.prefix + plaintext.withUnsafeBytes { encryptor.cipher.sealChunks($0, firstIndex: 0, endsPayload: true) }
        file[encryptor.fileOffset(ofChunk: chunk) + 1000] ^= 0x01
        let source = try EncryptedArchives.open(
            MemorySource(file, step: 100_000), keys: ArchiveDecryptionKeys(identities: [identity]))
        var out: [UInt8] = []
        #expect(throws: SindriError.self) {
            while try source.read(upTo: 50_000, appendingTo: &out) > 0 {}
        }
        #expect(out.count == delivered)
        #expect(out == Array(plaintext.prefix(delivered)))
        // Reading on after the failure repeats it: the refused batch is never handed out.
        #expect(throws: SindriError.self) { _ = try source.read(upTo: 50_000, appendingTo: &out) }
        #expect(out.count == delivered)
    }

    @Test func aPlainArchiveIsHandedOutUnchanged() throws {
        for (step, size) in [(1, 500), (3, 5000), (100_000, 100_000)] {
            let plain: [UInt8] = [0x1F, 0x8B, 8, 4] + Self.pattern(size, seed: 9)
            let source = try EncryptedArchives.open(MemorySource(plain, step: step), keys: ArchiveDecryptionKeys())
            var out: [UInt8] = []
            #expect(try source.skip(2) == 2)
            while try source.read(upTo: 7000, appendingTo: &out) > 0 {}
            #expect(out == Array(plain.dropFirst(2)))
        }
    }
}

/// The first sealed chunk's offset in an age file: after the MAC line and the 16-byte nonce.
enum AgeFileLayout {
    static func payloadStart(_ bytes: [UInt8]) -> Int {
        let mac = bytes.firstRange(of: Array("\n--- ".utf8))!.upperBound
        return bytes[mac...].firstIndex(of: 0x0A)! + 1 + 16
    }
}
