import Foundation
import SindriAge
import SindriSystem

/// How to open encrypted archives: the identities and, for passphrase-encrypted archives, where
/// the passphrase comes from. Part of `ArchiveAccess`.
public struct ArchiveDecryptionKeys: Sendable {
    /// X25519 identities (from `--identity` files).
    public var identities: [AgeX25519Identity]
    /// Asked for the passphrase only when an archive is passphrase-encrypted (a prompt on the
    /// terminal, a passphrase file); nil when none can be had.
    public var passphrase: (@Sendable () throws -> [UInt8])?

    public init(identities: [AgeX25519Identity] = [], passphrase: (@Sendable () throws -> [UInt8])? = nil) {
        self.identities = identities
        // Asked once: a chain opens several archives, and a prompt per link would be absurd.
        if let passphrase {
            let once = PassphraseOnce(passphrase)
            self.passphrase = { try once.get() }
        } else {
            self.passphrase = nil
        }
    }

    /// Whether any key was given (an identity, or a way to get a passphrase).
    public var isEmpty: Bool { identities.isEmpty && passphrase == nil }
}

/// A passphrase asked for at most once, whichever thread asks first.
// @unchecked: `value` is only touched while holding `lock`; `ask` is immutable.
private final class PassphraseOnce: @unchecked Sendable {
    private let lock = NSLock()
    private let ask: @Sendable () throws -> [UInt8]
    private var value: [UInt8]?

    init(_ ask: @escaping @Sendable () throws -> [UInt8]) { self.ask = ask }

    func get() throws -> [UInt8] {
        lock.lock()
        defer { lock.unlock() }
        if let value { return value }
        let asked = try ask()
        value = asked
        return asked
    }
}

/// Recognizes an encrypted archive by its first bytes, whatever its name, and opens it.
enum EncryptedArchives {
    /// `source` as it is when it does not start with an age header, else its decrypted
    /// plaintext.
    ///
    /// - Throws: `SindriError`: `.invalidArgument` when the archive is encrypted and no key was
    ///   given, `.verificationFailed` for a wrong key or passphrase, `.archiveCorrupt` for a
    ///   damaged or refused header.
    static func open(_ source: any ArchiveByteSource, keys: ArchiveDecryptionKeys) throws -> any ArchiveByteSource {
        switch try readHeader(source) {
        case .plain(let prefix):
            return prefix.isEmpty ? source : PrefixedByteSource(prefix: prefix, inner: source)
        case .encrypted(let prefix, let needsPassphrase):
            let decryptor = try decryptor(prefix: prefix, needsPassphrase: needsPassphrase, keys: keys, name: source.name)
            return DecryptingByteSource(inner: source, decryptor: decryptor, afterPrefix: Array(prefix[decryptor.prefixSize...]))
        }
    }

    /// What the start of a file says about it.
    enum Start {
        /// Not an age file: the bytes read to tell (at most the length of age's first line).
        case plain(prefix: [UInt8])
        /// An age file: its bytes up to at least the end of the header and the payload nonce.
        case encrypted(prefix: [UInt8], needsPassphrase: Bool)
    }

    /// Reads the start of `source`: enough to tell an age file, and then its whole header.
    ///
    /// - Throws: `SindriError` `.archiveCorrupt` for a damaged, refused or truncated header.
    static func readHeader(_ source: any ArchiveByteSource) throws -> Start {
        let magic = Array((AgeHeader.versionLine + "\n").utf8)
        var prefix: [UInt8] = []
        while prefix.count < magic.count {
            if try source.read(upTo: magic.count - prefix.count, appendingTo: &prefix) == 0 { break }
        }
        guard AgeHeader.looksLikeAge(prefix) else { return .plain(prefix: prefix) }
        // Read the header (and the payload nonce), a line's worth at a time.
        while true {
            do {
                if case .complete(let header, let size) = try AgeHeader.parse(prefix),
                   prefix.count >= size + AgePayloadCipher.nonceSize {
                    let needsPassphrase = header.stanzas.contains { $0.type == "scrypt" }
                    // Refused before any key is asked for: age allows a passphrase only alone.
                    if needsPassphrase && header.stanzas.count > 1 {
                        throw AgeError(.header, "a passphrase-encrypted file must have no other recipient")
                    }
                    return .encrypted(prefix: prefix, needsPassphrase: needsPassphrase)
                }
            } catch let error as AgeError {
                throw Self.error(error, name: source.name)
            }
            if try source.read(upTo: 4096, appendingTo: &prefix) == 0 {
                throw SindriError(.archiveCorrupt, "\(source.name): the encrypted archive is truncated: it ends inside its header")
            }
        }
    }

    /// Opens the header in `prefix` with the keys.
    ///
    /// - Throws: `SindriError`: `.invalidArgument` when no key of the needed kind was given,
    ///   `.verificationFailed` for a wrong key or passphrase, `.archiveCorrupt` for a changed header.
    static func decryptor(prefix: [UInt8], needsPassphrase: Bool, keys: ArchiveDecryptionKeys, name: String) throws -> AgeDecryptor {
        var identities: [any AgeIdentity] = keys.identities
        if needsPassphrase {
            guard let ask = keys.passphrase else {
                throw SindriError(.invalidArgument, "\(name) is encrypted with a passphrase: run on a terminal to type it, or give --passphrase-file FILE (or SINDRI_PASSPHRASE_FILE)")
            }
            identities.append(AgeScryptIdentity(passphrase: try ask()))
        } else if identities.isEmpty {
            throw SindriError(.invalidArgument, "\(name) is encrypted: give the key with --identity FILE (or SINDRI_IDENTITY_FILE)")
        }
        do {
            guard case .opened(let opened) = try AgeDecryptor.open(prefix: prefix, identities: identities) else {
                throw SindriError(.internal, "\(name): the encryption header was complete, then not")
            }
            return opened
        } catch let error as AgeError {
            throw Self.error(error, name: name)
        }
    }

    /// One line in user words for an age failure.
    static func error(_ error: AgeError, name: String) -> SindriError {
        switch error.kind {
        case .noMatch:
            let what = error.message == "wrong passphrase" ? "wrong passphrase" : "wrong key: no identity given can decrypt it"
            return SindriError(.verificationFailed, "\(name): \(what)", path: name)
        case .headerMAC:
            return SindriError(.archiveCorrupt, "\(name): the encryption header was changed or damaged", path: name)
        case .header:
            return SindriError(.archiveCorrupt, "\(name): unusable encryption header: \(error.message)", path: name)
        case .payload:
            return SindriError(.archiveCorrupt, "\(name): \(error.message)", path: name)
        case .key:
            return SindriError(.invalidArgument, "\(name): \(error.message)", path: name)
        }
    }
}

/// A source whose first bytes were already read (to recognize the format): hands them out
/// again, then reads on.
final class PrefixedByteSource: ArchiveByteSource {
    private var prefix: [UInt8]
    private var offset = 0
    private let inner: any ArchiveByteSource

    init(prefix: [UInt8], inner: any ArchiveByteSource) {
        self.prefix = prefix
        self.inner = inner
    }

    var name: String { inner.name }
    var totalBytes: UInt64? { inner.totalBytes }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if offset < prefix.count {
            let count = min(buffer.count, prefix.count - offset)
            prefix.withUnsafeBytes { raw in
                buffer.baseAddress!.copyMemory(from: raw.baseAddress! + offset, byteCount: count)
            }
            offset += count
            if offset == prefix.count { prefix = []; offset = 0 }
            return count
        }
        return try inner.read(into: buffer)
    }

    func skip(_ count: Int) throws -> Int {
        var skipped = 0
        if offset < prefix.count {
            skipped = min(count, prefix.count - offset)
            offset += skipped
            if offset == prefix.count { prefix = []; offset = 0 }
        }
        if skipped == count { return count }
        return skipped + (try inner.skip(count - skipped))
    }
}
