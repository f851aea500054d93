import Crypto
import Foundation
import SindriAge
import Testing

/// The codec's own rules: canonical base64, Bech32 keys, chunk arithmetic, refusals.
@Suite struct AgeFormatTests {
    @Test(arguments: [0, 1, 2, 3, 4, 31, 32, 47, 48, 49, 100])
    func base64RoundTripsAndIsUnpadded(length: Int) {
        let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 37 + 11) }
        let text = AgeBase64.encode(bytes)
        #expect(!text.contains("="))
        #expect(text == Data(bytes).base64EncodedString().replacingOccurrences(of: "=", with: ""))
        #expect(AgeBase64.decode(text) == bytes)
    }

    @Test(arguments: ["AA=", "AB", "AAB", "A", "A A", "AA==", "A-"])
    func base64RefusesNonCanonicalText(text: String) {
        #expect(AgeBase64.decode(text) == nil)
    }

    @Test func keysRoundTripThroughTheirTextForms() throws {
        let identity = AgeX25519Identity()
        #expect(identity.encoded.hasPrefix("AGE-SECRET-KEY-1"))
        #expect(identity.encoded == identity.encoded.uppercased())
        #expect(identity.recipient.encoded.hasPrefix("age1"))
        #expect(identity.recipient.encoded.count == 62)
        let parsed = try AgeX25519Identity(parsing: identity.encoded)
        #expect(parsed.recipient == identity.recipient)
        #expect(try AgeX25519Recipient(parsing: identity.recipient.encoded) == identity.recipient)
    }

    @Test func aChangedCharacterBreaksTheChecksum() throws {
        let recipient = AgeX25519Identity().recipient.encoded
        var characters = Array(recipient)
        characters[10] = characters[10] == "q" ? "p" : "q"
        #expect(throws: AgeError.self) { try AgeX25519Recipient(parsing: String(characters)) }
        #expect(throws: AgeError.self) { try AgeX25519Recipient(parsing: String(recipient.uppercased().prefix(5)) + String(recipient.dropFirst(5))) }
        #expect(throws: AgeError.self) { try AgeX25519Identity(parsing: recipient) }
    }

    @Test func keyFilesSkipCommentsAndNameTheBadLine() throws {
        let identity = AgeX25519Identity()
        let text = AgeKeyFile.identityFileText(identity, created: Date(timeIntervalSince1970: 0))
        #expect(text.hasPrefix("# created: 1970-01-01T00:00:00Z\n# public key: age1"))
        #expect(try AgeKeyFile.parseIdentities(text).map(\.recipient) == [identity.recipient])
        #expect(throws: AgeError(.key, "line 2 is not an age identity (AGE-SECRET-KEY-1...)")) {
            try AgeKeyFile.parseIdentities("# comment\nnot a key\n")
        }
        let recipients = "# team\n\n\(identity.recipient.encoded)\n  \(AgeX25519Identity().recipient.encoded)  \n"
        #expect(try AgeKeyFile.parseRecipients(recipients).count == 2)
        #expect(throws: AgeError(.key, "line 1 is an SSH key, which sindri does not support as a recipient")) {
            try AgeKeyFile.parseRecipients("ssh-ed25519 AAAA\n")
        }
        #expect(throws: AgeError(.key, "it holds no age recipient")) { try AgeKeyFile.parseRecipients("# none\n") }
    }

    @Test(arguments: [0, 1, 65535, 65536, 65537, 131072, 200_000])
    func chunkOffsetsAndSizesMatchTheFile(size: Int) throws {
        let identity = AgeX25519Identity()
        let encryptor = try AgeEncryptor(recipients: [identity.recipient])
        let plaintext = (0..<size).map { UInt8(truncatingIfNeeded: $0) }
        let sealed = plaintext.withUnsafeBytes { encryptor.cipher.sealChunks($0, firstIndex: 0, endsPayload: true) }
        let file = encryptor.prefix + sealed
        #expect(file.count == encryptor.fileSize(plaintextSize: size))
        // Each chunk opens alone, from its computed offset, in any order.
        let count = AgePayloadCipher.chunkCount(plaintextSize: size)
        guard case .opened(let decryptor) = try AgeDecryptor.open(prefix: file, identities: [identity]) else {
            Issue.record("header incomplete")
            return
        }
        #expect(decryptor.prefixSize == encryptor.prefix.count)
        var pieces = [[UInt8]](repeating: [], count: count)
        for index in (0..<count).reversed() {
            let start = encryptor.fileOffset(ofChunk: index)
            let end = min(start + AgePayloadCipher.sealedChunkSize, file.count)
            try file.withUnsafeBytes { bytes in
                try decryptor.cipher.openChunk(
                    UnsafeRawBufferPointer(rebasing: bytes[start..<end]), index: UInt64(index),
                    isLast: index == count - 1, into: &pieces[index])
            }
        }
        #expect(Array(pieces.joined()) == plaintext)
    }

    @Test func aChunkSealedSeparatelyEqualsTheSameChunkSealedInARange() throws {
        let encryptor = try AgeEncryptor(recipients: [AgeX25519Identity().recipient])
        let plaintext = [UInt8](repeating: 0x5A, count: 3 * 65536 + 10)
        let whole = plaintext.withUnsafeBytes { encryptor.cipher.sealChunks($0, firstIndex: 0, endsPayload: true) }
        let middle = plaintext.withUnsafeBytes {
            encryptor.cipher.sealChunks(UnsafeRawBufferPointer(rebasing: $0[65536..<(3 * 65536)]), firstIndex: 1, endsPayload: false)
        }
        #expect(Array(whole[AgePayloadCipher.sealedOffset(ofChunk: 1)..<AgePayloadCipher.sealedOffset(ofChunk: 3)]) == middle)
    }

    @Test func aPassphraseCannotBeCombinedWithKeys() throws {
        let passphrase = try AgeScryptRecipient(passphrase: Array("secret".utf8), workFactor: 2)
        #expect(throws: AgeError(.key, "a passphrase cannot be combined with other recipients")) {
            try AgeEncryptor(recipients: [passphrase, AgeX25519Identity().recipient])
        }
        #expect(throws: AgeError.self) { try AgeScryptRecipient(passphrase: []) }
    }

    @Test func aHugeWorkFactorIsRefusedBeforeAnyKeyDerivation() throws {
        let recipient = try AgeScryptRecipient(passphrase: Array("secret".utf8), workFactor: 2)
        let file = try AgeFile.encrypt([1, 2, 3], to: [recipient])
        // Rewrite the work factor to 2^40: hours of CPU and terabytes if it were honoured.
        let text = String(decoding: file.prefix(200), as: UTF8.self)
        let line = text.split(separator: "\n")[1]
        // Only the last argument: the random salt before it may itself start with "2".
        #expect(line.hasSuffix(" 2"))
        let hugeLine = line.dropLast(2) + " 40"
        var bytes = file
        let range = bytes.firstRange(of: Array(line.utf8))!
        bytes.replaceSubrange(range, with: Array(hugeLine.utf8))
        let clock = ContinuousClock()
        var released: [UInt8] = []
        let elapsed = clock.measure {
            #expect(throws: AgeError(.header, "the passphrase work factor 2^40 is above the maximum 2^22")) {
                try AgeFile.decrypt(bytes, identities: [AgeScryptIdentity(passphrase: Array("secret".utf8))], into: &released)
            }
        }
        #expect(elapsed < .seconds(1))
    }

    @Test func aFlippedHeaderByteIsRefused() throws {
        let identity = AgeX25519Identity()
        let file = try AgeFile.encrypt([UInt8](repeating: 1, count: 100), to: [identity.recipient])
        let headerEnd = file.firstRange(of: Array("\n--- ".utf8))!.lowerBound
        for position in [25, 30, headerEnd - 1, headerEnd + 6] {
            var bytes = file
            bytes[position] ^= 0x01
            var released: [UInt8] = []
            #expect(throws: AgeError.self) { try AgeFile.decrypt(bytes, identities: [identity], into: &released) }
            #expect(released.isEmpty)
        }
    }

    @Test func theGzipMagicIsNotAnAgeHeader() {
        #expect(AgeHeader.looksLikeAge(Array("age-encryption.org/v1\n-> X25519".utf8)))
        #expect(!AgeHeader.looksLikeAge([0x1F, 0x8B, 0x08, 0x04]))
        #expect(!AgeHeader.looksLikeAge(Array("age-encryption.org/v2\n".utf8)))
    }
}
