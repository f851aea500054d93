import ArgumentParser
import Foundation
import SindriAge
import SindriBackup
import SindriSystem

/// The keys `restore`, `verify` and `list` open encrypted archives with. An encrypted archive
/// is recognized by its age header whatever its name; a plain one ignores these options.
struct DecryptionOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "An age identity file (as age-keygen or sindri keygen writes it) for an encrypted archive; repeatable (default: $SINDRI_IDENTITY_FILE).",
        valueName: "file"), completion: .file())
    var identity: [String] = []

    @Option(name: .long, help: ArgumentHelp(
        "For a passphrase-encrypted archive: read the passphrase from the first line of this file instead of asking on the terminal (default: $SINDRI_PASSPHRASE_FILE).",
        valueName: "file"), completion: .file())
    var passphraseFile: String?

    /// The keys, with a warning per identity file others can read.
    ///
    /// - Throws: `SindriError` `.invalidArgument` for an unusable identity file.
    func keys(archive: String, warn: (String) -> Void) throws -> ArchiveDecryptionKeys {
        let name = archive == "-" ? "the archive" : archive
        return try Self.keys(identityFiles: identity, passphraseFile: passphraseFile, name: name, prompt: "Passphrase for \(name): ", warn: warn)
    }

    /// The keys that were given explicitly (identity files, a passphrase file, or their
    /// environment variables), never asking on the terminal; nil when none was.
    func explicitKeys(warn: (String) -> Void) throws -> ArchiveDecryptionKeys? {
        let file = passphraseFile ?? SindriEnvironment.value(SindriEnvironment.passphraseFile)
        var keys = try Self.keys(identityFiles: identity, passphraseFile: file, name: "the archive", prompt: nil, warn: warn)
        if file == nil { keys.passphrase = nil }
        return keys.isEmpty ? nil : keys
    }

    /// Keys from identity files (default `SINDRI_IDENTITY_FILE`) and a passphrase: `known` if
    /// given, else the first line of `passphraseFile` (default `SINDRI_PASSPHRASE_FILE`), else
    /// asked on the terminal with `prompt` (asked once, and only when an archive needs it).
    static func keys(
        identityFiles: [String], passphraseFile: String?, known: [UInt8]? = nil, name: String, prompt: String?, warn: (String) -> Void
    ) throws -> ArchiveDecryptionKeys {
        let paths = identityFiles.isEmpty ? (SindriEnvironment.value(SindriEnvironment.identityFile).map { [$0] } ?? []) : identityFiles
        var identities: [AgeX25519Identity] = []
        for path in paths {
            let loaded = try KeyFiles.identities(fromFile: path)
            if let warning = loaded.warning { warn(warning) }
            identities += loaded.identities
        }
        let file = passphraseFile ?? SindriEnvironment.value(SindriEnvironment.passphraseFile)
        let passphrase: @Sendable () throws -> [UInt8] = {
            if let known { return known }
            if let file { return try KeyFiles.passphrase(fromFile: file) }
            guard let prompt, PassphrasePrompt.terminalAvailable else {
                throw SindriError(.invalidArgument, "\(name) is encrypted with a passphrase and there is no terminal to ask on: give --passphrase-file FILE or set SINDRI_PASSPHRASE_FILE")
            }
            return try PassphrasePrompt.read(prompt)
        }
        return ArchiveDecryptionKeys(identities: identities, passphrase: passphrase)
    }
}
