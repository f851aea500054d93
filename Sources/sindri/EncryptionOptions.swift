import ArgumentParser
import Foundation
import SindriAge
import SindriBackup
import SindriSystem

/// `backup`'s encryption options: age recipients or a passphrase.
struct EncryptionOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Encrypt the archive to this age recipient (age1..., as age-keygen or sindri keygen prints it); repeatable. The archive is then an age file (.tar.gz.age) that age -d also decrypts.",
        valueName: "recipient"))
    var recipient: [String] = []

    @Option(name: .long, help: ArgumentHelp(
        "Encrypt to every recipient in this file (one age1... per line, # comments); repeatable.", valueName: "file"),
            completion: .file())
    var recipientsFile: [String] = []

    @Flag(name: .long, help: ArgumentHelp(
        "Encrypt with a passphrase (age's scrypt), asked twice on the terminal, never echoed; without a terminal, give --passphrase-file or SINDRI_PASSPHRASE_FILE."))
    var passphrase = false

    @Option(name: .long, help: ArgumentHelp(
        "Read the passphrase from the first line of this file (implies --passphrase; default: $SINDRI_PASSPHRASE_FILE when --passphrase is given).",
        valueName: "file"), completion: .file())
    var passphraseFile: String?

    /// The encryption asked for, nil for a plain archive.
    ///
    /// - Throws: `SindriError` `.invalidArgument` for an unusable recipient, file or passphrase.
    func encryption() throws -> ArchiveEncryption? {
        try encryptionAndPassphrase().encryption
    }

    /// The encryption asked for, and its passphrase when it is one (an incremental also reads
    /// a passphrase-encrypted base with it, without asking again).
    func encryptionAndPassphrase() throws -> (encryption: ArchiveEncryption?, passphrase: [UInt8]?) {
        var recipients: [any AgeRecipient] = []
        for text in recipient { recipients.append(try ArchiveEncryption.recipient(parsing: text)) }
        for path in recipientsFile { recipients += try ArchiveEncryption.recipients(fromFile: path) }
        var typed: [UInt8]?
        if passphrase || passphraseFile != nil {
            if !recipients.isEmpty {
                throw SindriError(.invalidArgument, "--passphrase cannot be combined with --recipient or --recipients-file (age allows a passphrase only alone)")
            }
            let bytes = try Self.newPassphrase(file: passphraseFile)
            recipients.append(try ArchiveEncryption.passphrase(bytes))
            typed = bytes
        }
        if recipients.isEmpty { return (nil, nil) }
        return (try ArchiveEncryption(recipients: recipients), typed)
    }

    /// The passphrase for a new archive: from the file, else typed twice on the terminal.
    private static func newPassphrase(file: String?) throws -> [UInt8] {
        if let path = file ?? SindriEnvironment.value(SindriEnvironment.passphraseFile) {
            return try KeyFiles.passphrase(fromFile: path)
        }
        guard PassphrasePrompt.terminalAvailable else {
            throw SindriError(.invalidArgument, "--passphrase needs a terminal to ask on; without one, give --passphrase-file FILE or set SINDRI_PASSPHRASE_FILE")
        }
        let first = try PassphrasePrompt.read("Passphrase for the backup: ")
        guard !first.isEmpty else { throw SindriError(.invalidArgument, "the passphrase must not be empty") }
        let second = try PassphrasePrompt.read("Same passphrase again: ")
        guard first == second else { throw SindriError(.invalidArgument, "the two passphrases differ; nothing was written") }
        return first
    }
}
