import Crypto

/// The start of a new age file: a fresh file key wrapped for every recipient, the header with
/// its MAC, the payload nonce, and the payload cipher for the chunks that follow.
public struct AgeEncryptor: Sendable {
    /// Header and payload nonce: every byte before the first sealed chunk.
    public let prefix: [UInt8]
    /// Seals the payload's chunks (pure, callable from any thread).
    public let cipher: AgePayloadCipher

    /// - Throws: ``AgeError`` of kind `.key` when there is no recipient, or a passphrase is
    ///   combined with other recipients (the specification forbids it).
    public init(recipients: [any AgeRecipient]) throws(AgeError) {
        guard !recipients.isEmpty else { throw .key("no recipient to encrypt to") }
        if recipients.count > 1 && recipients.contains(where: { $0.mustBeAlone }) {
            throw .key("a passphrase cannot be combined with other recipients")
        }
        let fileKey = AgeFileKey.generate()
        var stanzas: [AgeStanza] = []
        for recipient in recipients { stanzas += try recipient.wrap(fileKey: fileKey) }
        var header = AgeHeader(stanzas: stanzas, mac: [])
        header.mac = AgeHeader.computeMAC(coveredBytes: header.bytesCoveredByMAC(), fileKey: fileKey)
        var nonce = [UInt8](repeating: 0, count: AgePayloadCipher.nonceSize)
        var generator = SystemRandomNumberGenerator()
        for index in nonce.indices { nonce[index] = generator.next() }
        prefix = header.encoded() + nonce
        cipher = AgePayloadCipher(fileKey: fileKey, nonce: nonce)
    }

    /// The size of a whole file of `plaintextSize` bytes.
    public func fileSize(plaintextSize: Int) -> Int {
        prefix.count + AgePayloadCipher.sealedSize(plaintextSize: plaintextSize)
    }

    /// Where sealed chunk `index` starts in the file.
    public func fileOffset(ofChunk index: Int) -> Int {
        prefix.count + AgePayloadCipher.sealedOffset(ofChunk: index)
    }
}

/// The start of an existing age file, opened: its header checked against the identities.
public struct AgeDecryptor: Sendable {
    /// Bytes before the first sealed chunk (header and payload nonce).
    public let prefixSize: Int
    /// Opens the payload's chunks (pure, callable from any thread).
    public let cipher: AgePayloadCipher

    /// The outcome of opening the start of a file.
    public enum OpenResult: Sendable {
        case opened(AgeDecryptor)
        /// The bytes end before the header and nonce do.
        case needMoreInput
    }

    /// Opens the file whose first bytes are `prefix` with the first identity that matches.
    ///
    /// - Throws: ``AgeError``: `.header` (malformed or unsupported header, or a passphrase
    ///   stanza beside others), `.noMatch` (no identity opens it), `.headerMAC` (changed header).
    public static func open(prefix: [UInt8], identities: [any AgeIdentity]) throws(AgeError) -> OpenResult {
        guard case .complete(let header, let size) = try AgeHeader.parse(prefix) else { return .needMoreInput }
        guard prefix.count >= size + AgePayloadCipher.nonceSize else { return .needMoreInput }
        guard !header.stanzas.isEmpty else { throw .header("the header has no recipient") }
        if header.stanzas.count > 1 && header.stanzas.contains(where: { $0.type == AgeScryptRecipient.stanzaType }) {
            throw .header("a passphrase-encrypted file must have no other recipient")
        }
        var fileKey: SymmetricKey?
        for identity in identities {
            if let key = try identity.unwrap(stanzas: header.stanzas) {
                fileKey = key
                break
            }
        }
        guard let fileKey else {
            let passphrase = header.stanzas.contains { $0.type == AgeScryptRecipient.stanzaType }
            throw AgeError(.noMatch, passphrase ? "wrong passphrase" : "no identity given matches any recipient of the file")
        }
        guard header.hasValidMAC(fileKey: fileKey) else {
            throw AgeError(.headerMAC, "the encryption header was changed (its MAC does not match)")
        }
        let nonce = Array(prefix[size..<(size + AgePayloadCipher.nonceSize)])
        return .opened(AgeDecryptor(
            prefixSize: size + AgePayloadCipher.nonceSize, cipher: AgePayloadCipher(fileKey: fileKey, nonce: nonce)))
    }

    /// Whether the header of the file starting with `prefix` is a passphrase one; nil until
    /// the header is complete or when it cannot be parsed.
    public static func needsPassphrase(prefix: [UInt8]) -> Bool? {
        guard case .complete(let header, _)? = try? AgeHeader.parse(prefix) else { return nil }
        return header.stanzas.contains { $0.type == AgeScryptRecipient.stanzaType }
    }
}

/// Whole files in memory: small inputs, tests and tools.
public enum AgeFile {
    /// Encrypts `plaintext` to `recipients`.
    public static func encrypt(_ plaintext: [UInt8], to recipients: [any AgeRecipient]) throws(AgeError) -> [UInt8] {
        let encryptor = try AgeEncryptor(recipients: recipients)
        return encryptor.prefix + plaintext.withUnsafeBytes {
            encryptor.cipher.sealChunks($0, firstIndex: 0, endsPayload: true)
        }
    }

    /// Decrypts a whole file into `released`: on a payload error, `released` holds the
    /// plaintext of the chunks that authenticated before it.
    public static func decrypt(
        _ file: [UInt8], identities: [any AgeIdentity], into released: inout [UInt8]
    ) throws(AgeError) {
        guard case .opened(let decryptor) = try AgeDecryptor.open(prefix: file, identities: identities) else {
            throw .header("the file ends inside its header")
        }
        let result = file.withUnsafeBytes { bytes in
            Result { () throws(AgeError) in
                try decryptor.cipher.openChunks(
                    UnsafeRawBufferPointer(rebasing: bytes[decryptor.prefixSize...]),
                    firstIndex: 0, endsPayload: true, into: &released)
            }
        }
        try result.get()
    }
}
