import Crypto
import _CryptoExtras

/// Passphrase encryption: the file key wrapped under scrypt of the passphrase.
public struct AgeScryptRecipient: AgeRecipient {
    static let stanzaType = "scrypt"
    static let saltLabel = Array("age-encryption.org/v1/scrypt".utf8)
    /// The work factor age itself uses (2^18 iterations, about a second on a laptop).
    public static let defaultWorkFactor = 18

    let passphrase: [UInt8]
    let workFactor: Int

    /// - Throws: ``AgeError`` of kind `.key` for an empty passphrase.
    public init(passphrase: [UInt8], workFactor: Int = AgeScryptRecipient.defaultWorkFactor) throws(AgeError) {
        guard !passphrase.isEmpty else { throw .key("the passphrase is empty") }
        guard (1...AgeScryptIdentity.maximumWorkFactor).contains(workFactor) else {
            throw .key("the scrypt work factor must be between 1 and \(AgeScryptIdentity.maximumWorkFactor)")
        }
        self.passphrase = passphrase
        self.workFactor = workFactor
    }

    public var mustBeAlone: Bool { true }

    public func wrap(fileKey: SymmetricKey) throws(AgeError) -> [AgeStanza] {
        var salt = [UInt8](repeating: 0, count: 16)
        var generator = SystemRandomNumberGenerator()
        for index in salt.indices { salt[index] = generator.next() }
        let wrappingKey = try AgeScryptIdentity.deriveKey(passphrase: passphrase, salt: salt, workFactor: workFactor)
        let body = try AgeFileKey.seal(fileKey, with: wrappingKey)
        return [AgeStanza(arguments: [Self.stanzaType, AgeBase64.encode(salt), String(workFactor)], body: body)]
    }
}

/// Opens passphrase-encrypted files.
public struct AgeScryptIdentity: AgeIdentity {
    /// The largest work factor (log2 of scrypt's N) accepted on decryption, as age's own default:
    /// 2^22 takes seconds and 4 GiB at most; a header asking for more (2^23 or beyond, hours of
    /// CPU and unbounded memory) is refused before any key derivation starts.
    public static let maximumWorkFactor = 22

    let passphrase: [UInt8]
    let maximumWorkFactor: Int

    public init(passphrase: [UInt8], maximumWorkFactor: Int = AgeScryptIdentity.maximumWorkFactor) {
        self.passphrase = passphrase
        self.maximumWorkFactor = maximumWorkFactor
    }

    static func deriveKey(passphrase: [UInt8], salt: [UInt8], workFactor: Int) throws(AgeError) -> SymmetricKey {
        guard !passphrase.isEmpty else { throw .key("the passphrase is empty") }
        do {
            return try KDF.Scrypt.deriveKey(
                from: passphrase, salt: AgeScryptRecipient.saltLabel + salt, outputByteCount: 32,
                rounds: 1 << workFactor, blockSize: 8, parallelism: 1)
        } catch {
            throw .key("the passphrase key could not be derived (out of memory?)")
        }
    }

    public func unwrap(stanzas: [AgeStanza]) throws(AgeError) -> SymmetricKey? {
        guard let stanza = stanzas.first(where: { $0.type == AgeScryptRecipient.stanzaType }) else { return nil }
        guard stanzas.count == 1 else {
            throw .header("a passphrase-encrypted file must have no other recipient")
        }
        guard stanza.arguments.count == 3,
              let salt = AgeBase64.decode(stanza.arguments[1]), salt.count == 16
        else {
            throw .header("malformed scrypt recipient stanza")
        }
        let factorText = stanza.arguments[2]
        guard let first = factorText.utf8.first, first != UInt8(ascii: "0"),
              factorText.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              factorText.utf8.count <= 2, let workFactor = Int(factorText), workFactor >= 1
        else {
            throw .header("malformed scrypt work factor")
        }
        guard workFactor <= maximumWorkFactor else {
            throw .header("the passphrase work factor 2^\(workFactor) is above the maximum 2^\(maximumWorkFactor)")
        }
        guard stanza.body.count == AgeFileKey.size + 16 else {
            throw .header("malformed scrypt recipient stanza")
        }
        let wrappingKey = try Self.deriveKey(passphrase: passphrase, salt: salt, workFactor: workFactor)
        return AgeFileKey.open(stanza.body, with: wrappingKey)
    }
}
