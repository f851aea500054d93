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
        self.passphrase = passphrase
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
        let magic = Array((AgeHeader.versionLine + "\n").utf8)
        var prefix: [UInt8] = []
        while prefix.count < magic.count {
            if try source.read(upTo: magic.count - prefix.count, appendingTo: &prefix) == 0 { break }
        }
        guard AgeHeader.looksLikeAge(prefix) else {
            return prefix.isEmpty ? source : PrefixedByteSource(prefix: prefix, inner: source)
        }
        // Read the header (and the payload nonce), a line's worth at a time.
        var needsPassphrase: Bool?
        while true {
            do {
                if case .complete(let header, let size) = try AgeHeader.parse(prefix),
                   prefix.count >= size + AgePayloadCipher.nonceSize {
                    needsPassphrase = header.stanzas.contains { $0.type == "scrypt" }
                    // Refused before any key is asked for: age allows a passphrase only alone.
                    if needsPassphrase == true && header.stanzas.count > 1 {
                        throw AgeError(.header, "a passphrase-encrypted file must have no other recipient")
                    }
                    break
                }
            } catch let error as AgeError {
                throw Self.error(error, name: source.name)
            }
            if try source.read(upTo: 4096, appendingTo: &prefix) == 0 {
                throw SindriError(.archiveCorrupt, "\(source.name): the encrypted archive is truncated: it ends inside its header")
            }
        }
        var identities: [any AgeIdentity] = keys.identities
        if needsPassphrase == true {
            guard let ask = keys.passphrase else {
                throw SindriError(.invalidArgument, "\(source.name) is encrypted with a passphrase: run on a terminal to type it, or give --passphrase-file FILE (or SINDRI_PASSPHRASE_FILE)")
            }
            identities.append(AgeScryptIdentity(passphrase: try ask()))
        } else if identities.isEmpty {
            throw SindriError(.invalidArgument, "\(source.name) is encrypted: give the key with --identity FILE (or SINDRI_IDENTITY_FILE)")
        }
        let decryptor: AgeDecryptor
        do {
            guard case .opened(let opened) = try AgeDecryptor.open(prefix: prefix, identities: identities) else {
                throw SindriError(.internal, "\(source.name): the encryption header was complete, then not")
            }
            decryptor = opened
        } catch let error as AgeError {
            throw Self.error(error, name: source.name)
        }
        return DecryptingByteSource(inner: source, decryptor: decryptor, afterPrefix: Array(prefix[decryptor.prefixSize...]))
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
