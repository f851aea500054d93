import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Encrypted backups through the binary: `sindri keygen`, `backup --recipient` and
/// `--passphrase`, `restore`/`verify`/`list` with the keys, and the stock `age` tool reading
/// what sindri wrote and writing what sindri restores.
@Suite(.serialized) struct EncryptedBackupTests {
    @Test func keygenWritesAPrivateIdentityFileAndPrintsItsRecipient() throws {
        let box = try EncryptionSandbox("age-keygen")
        var info = stat()
        #expect(stat(box.key, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(box.recipient.hasPrefix("age1") && box.recipient.count == 62)
        let text = String(decoding: FileManager.default.contents(atPath: box.key)!, as: UTF8.self)
        #expect(text.contains("# public key: \(box.recipient)\n"))
        #expect(text.contains("\nAGE-SECRET-KEY-1"))
        // Never replaces a key: that would make every backup made for it unreadable.
        let again = try box.sindri(["keygen", "-o", box.key])
        #expect(again.status == 64)
        #expect(again.stderr.contains("already exists"))
        #expect(String(decoding: FileManager.default.contents(atPath: box.key)!, as: UTF8.self) == text)
    }

    @Test func anEncryptedBackupRoundTripsAndAgeOpensIt() throws {
        let box = try EncryptionSandbox("age-roundtrip")
        let directory = box.temp.sub("out")
        let backup = try box.sindri(["backup", "--home", box.source, "-p", "full", "-o", directory + "/", "--recipient", box.recipient])
        #expect(backup.status == 0, "\(backup.stderr)")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        #expect(names.count == 2)
        let archiveName = try #require(names.first { $0.hasSuffix(".tar.gz.age") })
        #expect(names.contains(archiveName + ".sha256"))
        let archive = directory + "/" + archiveName
        // The sidecar covers the encrypted file; the file is an age file, not a gzip one.
        #expect(try Shell.run(["sha256sum", "-c", archiveName + ".sha256"], cwd: directory).status == 0)
        let bytes = [UInt8](FileManager.default.contents(atPath: archive)!)
        #expect(bytes.starts(with: Array("age-encryption.org/v1\n-> X25519 ".utf8)))
        #expect(try Shell.run(["gzip", "-t", archive]).status != 0)
        // Nothing of the home in clear: not the manifest, not a file name.
        #expect(bytes.firstRange(of: Array("backup-manifest".utf8)) == nil)
        #expect(bytes.firstRange(of: Array("id_ed25519".utf8)) == nil)

        let listed = try Shell.bash("age -d -i \(Terminal.quote(box.key)) \(Terminal.quote(archive)) | tar -tz")
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdoutText.contains(".ssh/id_ed25519\n"))
        #expect(listed.stdoutText.hasPrefix(".backup-manifest.json\n"))

        let verify = try box.sindri(["verify", archive, "--identity", box.key])
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect(verify.stdoutText.contains("archive checksum: matches the data"))
        let list = try box.sindri(["list", archive, "--identity", box.key])
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdoutText.contains("workspace/data.bin"))

        let restore = try box.restore(archive, ["--identity", box.key])
        #expect(restore.status == 0, "\(restore.stderr)")
        #expect(try box.homeMatchesSource())
    }

    @Test func everyRecipientOpensTheArchiveAndTheIdentityMayComeFromTheEnvironment() throws {
        let box = try EncryptionSandbox("age-recipients")
        let second = box.file("second.txt")
        #expect(try Shell.run(["age-keygen", "-o", second]).status == 0)
        let secondRecipient = try Shell.run(["age-keygen", "-y", second]).stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        let third = box.file("third.txt")
        #expect(try box.sindri(["keygen", "-o", third]).status == 0)
        let thirdRecipient = try Shell.run(["age-keygen", "-y", third]).stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        let recipients = box.file("recipients.txt")
        try "# the team\n\n\(secondRecipient)\n\(thirdRecipient)  \n".write(toFile: recipients, atomically: true, encoding: .utf8)
        let archive = try box.backup(["--recipient", box.recipient, "--recipients-file", recipients])
        let header = String(decoding: FileManager.default.contents(atPath: archive)!.prefix(600), as: UTF8.self)
        #expect(header.components(separatedBy: "\n-> X25519 ").count == 4)
        for key in [box.key, second, third] {
            let verify = try box.sindri(["verify", archive], environment: ["SINDRI_IDENTITY_FILE": key])
            #expect(verify.status == 0, "\(key): \(verify.stderr)")
            #expect(try Shell.run(["age", "-d", "-i", key, "-o", box.file("out.tar.gz"), archive]).status == 0)
        }
        // age-keygen writes its files 0600 too; a readable one draws a warning, as ssh does.
        #expect(chmod(second, 0o644) == 0)
        let warned = try box.sindri(["verify", archive, "--identity", second])
        #expect(warned.status == 0)
        #expect(warned.stderr.contains("sindri: warning: identity file \(second) is accessible by others (mode 644): chmod 600 it"))
    }

    @Test func aStreamedEncryptedBackupOpensWithAgeAndRestoresFromStandardInput() throws {
        let box = try EncryptionSandbox("age-stream")
        let backup = try box.sindri(["backup", "--home", box.source, "-p", "full", "-o", "-", "--recipient", box.recipient])
        #expect(backup.status == 0, "\(backup.stderr)")
        try backup.stdout.write(to: URL(fileURLWithPath: box.file("s.age")))
        let listed = try Shell.bash("age -d -i \(Terminal.quote(box.key)) \(Terminal.quote(box.file("s.age"))) | tar -tz")
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdoutText.contains(".backup-summary.json"))
        let restore = try box.restore("-", ["--identity", box.key], stdin: backup.stdout)
        #expect(restore.status == 0, "\(restore.stderr)")
        #expect(try box.homeMatchesSource())
    }

    @Test func aPassphraseFromAFileEncryptsAndAgeOpensItAtItsPrompt() throws {
        let box = try EncryptionSandbox("age-passfile")
        let passphraseFile = box.file("pass")
        try "correct horse battery staple\n".write(toFile: passphraseFile, atomically: true, encoding: .utf8)
        let archive = try box.backup(["--passphrase-file", passphraseFile])
        let header = String(decoding: FileManager.default.contents(atPath: archive)!.prefix(100), as: UTF8.self)
        #expect(header.hasPrefix("age-encryption.org/v1\n-> scrypt "))
        #expect(header.contains(" 18\n"))
        let decrypted = try PassphraseTerminal.run(
            ["age", "-d", "-o", box.file("plain.tar.gz"), archive], passphrase: "correct horse battery staple")
        #expect(decrypted.status == 0, "\(decrypted.stdoutText)")
        #expect(try Shell.run(["tar", "-tzf", box.file("plain.tar.gz")]).stdoutText.contains("workspace/notes.txt"))

        let restore = try box.restore(archive, [], environment: ["SINDRI_PASSPHRASE_FILE": passphraseFile])
        #expect(restore.status == 0, "\(restore.stderr)")
        #expect(try box.homeMatchesSource())
    }

    @Test func aPassphraseIsAskedTwiceOnTheTerminalAndRefusedWithoutOne() throws {
        let box = try EncryptionSandbox("age-prompt")
        let archive = box.file("p.tar.gz.age")
        let typed = try PassphraseTerminal.run(
            [Sindri.binary, "backup", "--home", box.source, "-p", "full", "-o", archive, "--passphrase"],
            passphrase: "typed at the prompt", environment: ["HOME": box.envHome])
        #expect(typed.status == 0, "\(typed.stdoutText)")
        #expect(typed.stdoutText.contains("Passphrase for the backup: "))
        #expect(typed.stdoutText.contains("Same passphrase again: "))
        #expect(!typed.stdoutText.contains("typed at the prompt"))
        let restored = try PassphraseTerminal.run(
            [Sindri.binary, "restore", archive, "--home", box.home, "--no-interactive"],
            passphrase: "typed at the prompt", environment: ["HOME": box.envHome])
        #expect(restored.status == 0, "\(restored.stdoutText)")
        #expect(try box.homeMatchesSource())

        // No terminal and no passphrase file: refused before anything is written.
        let refused = try box.sindri(["backup", "--home", box.source, "-o", box.file("x.tar.gz.age"), "--passphrase"])
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("--passphrase needs a terminal"))
        #expect(!FileManager.default.fileExists(atPath: box.file("x.tar.gz.age")))
        let noKey = try box.sindri(["verify", archive])
        #expect(noKey.status == 64)
        #expect(noKey.stderr.contains("is encrypted with a passphrase and there is no terminal"))
    }

    @Test func archivesAgeEncryptedRestore() throws {
        let box = try EncryptionSandbox("age-made")
        // A plain sindri archive encrypted by age to an age-keygen identity.
        let plain = try box.backup([], to: "plain.tar.gz")
        let key = box.file("age-key.txt")
        #expect(try Shell.run(["age-keygen", "-o", key]).status == 0)
        let recipient = try Shell.run(["age-keygen", "-y", key]).stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        let encrypted = box.file("by-age.bin")
        #expect(try Shell.run(["age", "-r", recipient, "-o", encrypted, plain]).status == 0)
        let restore = try box.restore(encrypted, ["--identity", key])
        #expect(restore.status == 0, "\(restore.stderr)")
        #expect(try box.homeMatchesSource())

        // An archive made by tar -cz (a manifest written by hand) and age -p.
        let other = try EncryptionSandbox("age-made-tar")
        try Fixture(root: other.source).file(".backup-manifest.json", """
            {"version":"1.1.0","created_at":"2026-01-01T00:00:00Z","created_by":"tar and age","profile":"standard",\
            "statistics":{"files_included":2,"total_size_bytes":414000}}
            """)
        let tarred = other.file("t.tar.gz")
        #expect(try Shell.run(["tar", "-czf", tarred, "-C", other.source, ".backup-manifest.json", ".gitconfig", "workspace"]).status == 0)
        let sealed = other.file("t.tar.gz.age")
        let agep = try PassphraseTerminal.run(["age", "-p", "-o", sealed, tarred], passphrase: "from age -p")
        #expect(agep.status == 0, "\(agep.stdoutText)")
        let passphraseFile = other.file("pass")
        try "from age -p\n".write(toFile: passphraseFile, atomically: true, encoding: .utf8)
        let restored = try other.restore(sealed, ["--passphrase-file", passphraseFile])
        #expect(restored.status == 0, "\(restored.stderr)")
        #expect(try Shell.run(["cmp", other.source + "/workspace/data.bin", other.home + "/workspace/data.bin"]).status == 0)
    }
}
