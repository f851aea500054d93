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
        let paths = identity.isEmpty ? (SindriEnvironment.value(SindriEnvironment.identityFile).map { [$0] } ?? []) : identity
        var identities: [AgeX25519Identity] = []
        for path in paths {
            let loaded = try KeyFiles.identities(fromFile: path)
            if let warning = loaded.warning { warn(warning) }
            identities += loaded.identities
        }
        let file = passphraseFile ?? SindriEnvironment.value(SindriEnvironment.passphraseFile)
        let name = archive == "-" ? "the archive" : archive
        let passphrase: @Sendable () throws -> [UInt8] = {
            if let file { return try KeyFiles.passphrase(fromFile: file) }
            guard PassphrasePrompt.terminalAvailable else {
                throw SindriError(.invalidArgument, "\(name) is encrypted with a passphrase and there is no terminal to ask on: give --passphrase-file FILE or set SINDRI_PASSPHRASE_FILE")
            }
            return try PassphrasePrompt.read("Passphrase for \(name): ")
        }
        return ArchiveDecryptionKeys(identities: identities, passphrase: passphrase)
    }
}
