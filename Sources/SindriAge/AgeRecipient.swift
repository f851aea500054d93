import Crypto

/// Someone a file is encrypted to: wraps the file key into one or more stanzas.
public protocol AgeRecipient: Sendable {
    /// The stanzas that let the matching identity recover `fileKey`.
    func wrap(fileKey: SymmetricKey) throws(AgeError) -> [AgeStanza]
    /// Whether this recipient must be the only one of its file (scrypt: a passphrase-encrypted
    /// file must not also open with a key, or the passphrase would protect nothing).
    var mustBeAlone: Bool { get }
}

/// Something that can open a file: tries to unwrap the file key from the header's stanzas.
public protocol AgeIdentity: Sendable {
    /// The file key if one of `stanzas` is addressed to this identity; nil when none is.
    ///
    /// - Throws: ``AgeError`` of kind `.header` when a stanza of this identity's type is
    ///   malformed (the file is then refused whatever other identities could do).
    func unwrap(stanzas: [AgeStanza]) throws(AgeError) -> SymmetricKey?
}

extension AgeRecipient {
    public var mustBeAlone: Bool { false }
}

/// The 16-byte symmetric key every file has, wrapped for each recipient.
enum AgeFileKey {
    static let size = 16

    static func generate() -> SymmetricKey {
        SymmetricKey(size: .bits128)
    }

    /// Seals a 16-byte file key under a wrapping key with the all-zero nonce (each wrapping key
    /// is used once, so a fixed nonce is safe, as the specification defines it).
    static func seal(_ fileKey: SymmetricKey, with wrappingKey: SymmetricKey) throws(AgeError) -> [UInt8] {
        do {
            let nonce = try ChaChaPoly.Nonce(data: [UInt8](repeating: 0, count: 12))
            let box = try fileKey.withUnsafeBytes { try ChaChaPoly.seal($0, using: wrappingKey, nonce: nonce) }
            return Array(box.ciphertext) + Array(box.tag)
        } catch {
            throw .key("could not wrap the file key")
        }
    }

    /// Opens a wrapped file key; nil when the tag does not match (the stanza is not ours).
    static func open(_ body: [UInt8], with wrappingKey: SymmetricKey) -> SymmetricKey? {
        guard body.count == size + 16,
              let nonce = try? ChaChaPoly.Nonce(data: [UInt8](repeating: 0, count: 12)),
              let box = try? ChaChaPoly.SealedBox(nonce: nonce, ciphertext: body.prefix(size), tag: body.suffix(16)),
              let key = try? ChaChaPoly.open(box, using: wrappingKey)
        else { return nil }
        return SymmetricKey(data: key)
    }
}
