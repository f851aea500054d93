import Crypto

/// An X25519 recipient, written `age1...` (Bech32 of the 32-byte public key).
public struct AgeX25519Recipient: AgeRecipient, Equatable {
    static let stanzaType = "X25519"
    static let wrapInfo = Array("age-encryption.org/v1/X25519".utf8)

    private let storedKey: ImmutableCryptoValue<Curve25519.KeyAgreement.PublicKey>
    /// The recipient's public key.
    public var publicKey: Curve25519.KeyAgreement.PublicKey { storedKey.value }

    public init(publicKey: Curve25519.KeyAgreement.PublicKey) {
        storedKey = ImmutableCryptoValue(publicKey)
    }

    /// Parses `age1...`.
    ///
    /// - Throws: ``AgeError`` of kind `.key` naming what is wrong.
    public init(parsing string: String) throws(AgeError) {
        guard let (hrp, data) = Bech32.decode(string), hrp == "age" else {
            throw .key("'\(string)' is not an age recipient (age1...)")
        }
        guard data.count == 32, let key = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: data) else {
            throw .key("'\(string)' is not an X25519 age recipient")
        }
        storedKey = ImmutableCryptoValue(key)
    }

    /// The `age1...` form.
    public var encoded: String {
        Bech32.encode(hrp: "age", data: Array(publicKey.rawRepresentation))
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.publicKey.rawRepresentation == rhs.publicKey.rawRepresentation
    }

    public func wrap(fileKey: SymmetricKey) throws(AgeError) -> [AgeStanza] {
        let ephemeral = Curve25519.KeyAgreement.PrivateKey()
        let share = Array(ephemeral.publicKey.rawRepresentation)
        guard let secret = try? ephemeral.sharedSecretFromKeyAgreement(with: publicKey) else {
            throw .key("could not wrap the file key for \(encoded)")
        }
        let wrappingKey = secret.hkdfDerivedSymmetricKey(
            using: SHA256.self, salt: share + Array(publicKey.rawRepresentation),
            sharedInfo: Self.wrapInfo, outputByteCount: 32)
        let body = try AgeFileKey.seal(fileKey, with: wrappingKey)
        return [AgeStanza(arguments: [Self.stanzaType, AgeBase64.encode(share)], body: body)]
    }
}

/// An X25519 identity, written `AGE-SECRET-KEY-1...` as `age-keygen` writes it.
public struct AgeX25519Identity: AgeIdentity {
    private let storedKey: ImmutableCryptoValue<Curve25519.KeyAgreement.PrivateKey>
    var privateKey: Curve25519.KeyAgreement.PrivateKey { storedKey.value }

    /// A new random identity.
    public init() {
        storedKey = ImmutableCryptoValue(Curve25519.KeyAgreement.PrivateKey())
    }

    /// Parses `AGE-SECRET-KEY-1...`.
    ///
    /// - Throws: ``AgeError`` of kind `.key`; the message never repeats the secret.
    public init(parsing string: String) throws(AgeError) {
        guard let (hrp, data) = Bech32.decode(string), hrp == "age-secret-key-", data.count == 32,
              let key = try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: data)
        else {
            throw .key("not an age identity (AGE-SECRET-KEY-1...)")
        }
        storedKey = ImmutableCryptoValue(key)
    }

    /// The `AGE-SECRET-KEY-1...` form (uppercase, as age writes it).
    public var encoded: String {
        Bech32.encode(hrp: "age-secret-key-", data: Array(privateKey.rawRepresentation)).uppercased()
    }

    /// The matching recipient.
    public var recipient: AgeX25519Recipient {
        AgeX25519Recipient(publicKey: privateKey.publicKey)
    }

    public func unwrap(stanzas: [AgeStanza]) throws(AgeError) -> SymmetricKey? {
        let ownKey = Array(privateKey.publicKey.rawRepresentation)
        for stanza in stanzas where stanza.type == AgeX25519Recipient.stanzaType {
            guard stanza.arguments.count == 2 else {
                throw .header("malformed X25519 recipient stanza")
            }
            guard let share = AgeBase64.decode(stanza.arguments[1]), share.count == 32,
                  let sharePoint = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: share)
            else {
                throw .header("malformed X25519 recipient stanza")
            }
            guard stanza.body.count == AgeFileKey.size + 16 else {
                throw .header("malformed X25519 recipient stanza")
            }
            guard let secret = try? privateKey.sharedSecretFromKeyAgreement(with: sharePoint) else {
                throw .header("invalid X25519 recipient stanza")
            }
            // A low-order share gives the all-zero secret, which anyone could compute.
            let isZero = secret.withUnsafeBytes { $0.allSatisfy { $0 == 0 } }
            if isZero { throw .header("invalid X25519 recipient stanza") }
            let wrappingKey = secret.hkdfDerivedSymmetricKey(
                using: SHA256.self, salt: share + ownKey,
                sharedInfo: AgeX25519Recipient.wrapInfo, outputByteCount: 32)
            if let fileKey = AgeFileKey.open(stanza.body, with: wrappingKey) { return fileKey }
        }
        return nil
    }
}
