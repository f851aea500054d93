import Foundation
import SindriAge
import SindriSystem

/// How a backup is encrypted: the age recipients its file key is wrapped for (X25519 keys, or
/// one passphrase). The archive is then a standard age file around the `.tar.gz`, which the
/// stock `age` tool decrypts.
public struct ArchiveEncryption: Sendable {
    public let recipients: [any AgeRecipient]

    /// - Throws: `SindriError` `.invalidArgument` when there is no recipient or a passphrase is
    ///   combined with keys (age allows a passphrase only alone).
    public init(recipients: [any AgeRecipient]) throws {
        guard !recipients.isEmpty else {
            throw SindriError(.invalidArgument, "no recipient to encrypt to")
        }
        if recipients.count > 1 && recipients.contains(where: { $0.mustBeAlone }) {
            throw SindriError(.invalidArgument, "--passphrase cannot be combined with --recipient or --recipients-file (age allows a passphrase only alone)")
        }
        self.recipients = recipients
    }

    /// Parses an `age1...` recipient given on the command line.
    ///
    /// - Throws: `SindriError` `.invalidArgument` naming it.
    public static func recipient(parsing text: String) throws -> AgeX25519Recipient {
        do {
            return try AgeX25519Recipient(parsing: text.trimmingCharacters(in: .whitespaces))
        } catch {
            throw SindriError(.invalidArgument, "--recipient '\(text)' is not an age recipient (age1...)")
        }
    }

    /// The recipients in a recipients file (age's format: one per line, `#` comments).
    ///
    /// - Throws: `SindriError` `.invalidArgument` naming the file and the bad line.
    public static func recipients(fromFile path: String) throws -> [AgeX25519Recipient] {
        let text = try KeyFiles.readText(path, what: "recipients file")
        do {
            return try AgeKeyFile.parseRecipients(text)
        } catch {
            throw SindriError(.invalidArgument, "recipients file \(path): \(error.message)", path: path)
        }
    }

    /// A passphrase recipient with age's default work factor.
    ///
    /// - Throws: `SindriError` `.invalidArgument` for an empty passphrase.
    public static func passphrase(_ passphrase: [UInt8]) throws -> AgeScryptRecipient {
        do {
            return try AgeScryptRecipient(passphrase: passphrase)
        } catch {
            throw SindriError(.invalidArgument, "the passphrase must not be empty")
        }
    }
}

/// Reading the key files named on the command line.
public enum KeyFiles {
    /// The text of a key file, with a usage error naming it when it cannot be read.
    static func readText(_ path: String, what: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw SindriError(.invalidArgument, "\(what) \(path) does not exist", path: path)
        }
        guard !isDirectory.boolValue else {
            throw SindriError(.invalidArgument, "\(what) \(path) is a directory", path: path)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SindriError(.invalidArgument, "\(what) \(path) cannot be read", path: path)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw SindriError(.invalidArgument, "\(what) \(path) is not text", path: path)
        }
        return text
    }

    /// The identities in an identity file as `age-keygen` writes it, and a warning when
    /// the file can be read by its group or others (as ssh warns about private keys).
    ///
    /// - Throws: `SindriError` `.invalidArgument` naming the file and the bad line (never the
    ///   line's content: it may be a secret).
    public static func identities(fromFile path: String) throws -> (identities: [AgeX25519Identity], warning: String?) {
        let text = try readText(path, what: "identity file")
        let identities: [AgeX25519Identity]
        do {
            identities = try AgeKeyFile.parseIdentities(text)
        } catch {
            throw SindriError(.invalidArgument, "identity file \(path): \(error.message)", path: path)
        }
        var warning: String?
        var info = stat()
        if stat(path, &info) == 0, info.st_mode & 0o077 != 0 {
            warning = "identity file \(path) is accessible by others (mode \(String(info.st_mode & 0o777, radix: 8))): chmod 600 it"
        }
        return (identities, warning)
    }

    /// A passphrase from a file: its first line, without the line ending (as `age` users keep
    /// them: `echo secret > file`).
    ///
    /// - Throws: `SindriError` `.invalidArgument` when the file cannot be read or is empty.
    public static func passphrase(fromFile path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SindriError(.invalidArgument, "passphrase file \(path) cannot be read", path: path)
        }
        var bytes = Array(data)
        if let newline = bytes.firstIndex(of: 0x0A) { bytes = Array(bytes[..<newline]) }
        if bytes.last == 0x0D { bytes.removeLast() }
        guard !bytes.isEmpty else {
            throw SindriError(.invalidArgument, "passphrase file \(path) is empty", path: path)
        }
        return bytes
    }
}
