import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Incremental backups of encrypted archives: the base's index read with the identity, the
/// incremental encrypted to the recipients given, the chain found by checksum and each link
/// decrypted on restore, verify and list; each link still opens with the stock `age` tool.
@Suite(.serialized) struct EncryptedIncrementalTests {
    /// Backs up the sandbox's source into `directory` with `extra` options; returns the new
    /// archive (the one file that appeared besides its `.sha256`).
    static func backup(_ box: EncryptionSandbox, into directory: String, _ extra: [String], environment: [String: String] = [:]) throws -> String {
        let before = Set((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
        let result = try box.sindri(["backup", "--home", box.source, "-p", "full", "-o", directory + "/"] + extra, environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        let made = Set(try FileManager.default.contentsOfDirectory(atPath: directory)).subtracting(before).filter { !$0.hasSuffix(".sha256") }
        #expect(made.count == 1, "\(made)")
        // The next backup must have a later created_at (whole seconds).
        usleep(1_100_000)
        return directory + "/" + (made.first ?? "missing")
    }

    @Test func aFullAndTwoEncryptedIncrementalsRestoreExactlyTheNewestTree() throws {
        let box = try EncryptionSandbox("age-inc")
        let directory = box.temp.sub("out")
        let full = try Self.backup(box, into: directory, ["--incremental", "--recipient", box.recipient])
        #expect(full.hasSuffix(".tar.gz.age") && !full.hasSuffix("-inc.tar.gz.age"), "no base yet: a full backup")

        try IncrementalChainTests.python("""
            open('workspace/notes.txt', 'a').write('one more note\\n')
            open('workspace/new-one.txt', 'w').write('added in the first incremental\\n')
            os.remove('.gitconfig')
            """, box.source)
        let first = try Self.backup(box, into: directory, ["--incremental", "--recipient", box.recipient, "--identity", box.key])
        #expect(first.hasSuffix("-inc.tar.gz.age"), "\(first)")

        try IncrementalChainTests.python("""
            open('workspace/new-two.txt', 'w').write('added in the second incremental\\n')
            os.chmod('workspace/new-one.txt', 0o600)
            os.makedirs('workspace/deeper/still')
            open('workspace/deeper/still/f.txt', 'w').write('deep\\n')
            """, box.source)
        // The identity may come from the environment, as for restore.
        let second = try Self.backup(box, into: directory, ["--incremental", "--recipient", box.recipient],
                                     environment: ["SINDRI_IDENTITY_FILE": box.key])
        #expect(second.hasSuffix("-inc.tar.gz.age"), "\(second)")
        let expected = try IncrementalChainTests.tree(box.source)

        // The unchanged 400 KB data file is not in the incrementals: they hold what changed.
        let fullSize = try #require(try FileManager.default.attributesOfItem(atPath: full)[.size] as? Int)
        let secondSize = try #require(try FileManager.default.attributesOfItem(atPath: second)[.size] as? Int)
        #expect(secondSize * 4 < fullSize, "\(secondSize) vs \(fullSize)")

        // Each link is an age file that the stock tool opens into a tar.gz GNU tar lists.
        for (archive, member) in [(full, "workspace/data.bin"), (first, "workspace/new-one.txt"), (second, "workspace/new-two.txt")] {
            let listed = try Shell.bash("age -d -i \(Terminal.quote(box.key)) \(Terminal.quote(archive)) | tar -tz")
            #expect(listed.status == 0, "\(archive): \(listed.stderr)")
            #expect(listed.stdoutText.contains(member + "\n"), "\(archive)")
        }
        #expect(!(try Shell.bash("age -d -i \(Terminal.quote(box.key)) \(Terminal.quote(second)) | tar -tz")).stdoutText.contains("workspace/data.bin\n"))

        let restore = try box.restore(second, ["--identity", box.key])
        #expect(restore.status == 0, "\(restore.stderr)")
        let differences = IncrementalChainTests.differences(try IncrementalChainTests.tree(box.home), expected)
        #expect(differences.isEmpty, "\(differences.prefix(8))")

        let verify = try box.sindri(["verify", second, "--identity", box.key])
        #expect(verify.status == 0, "\(verify.stderr)")
        let list = try box.sindri(["list", second, "--identity", box.key])
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdoutText.contains("Chain:       3 archives"), "\(list.stdoutText.suffix(600))")
        #expect(list.stdoutText.contains("incremental \((first as NSString).lastPathComponent)"))
    }

    @Test func aWrongIdentityIsRefusedBeforeAnyWrite() throws {
        let box = try EncryptionSandbox("age-inc-wrong")
        let directory = box.temp.sub("out")
        _ = try Self.backup(box, into: directory, ["--recipient", box.recipient])
        try IncrementalChainTests.python("open('workspace/new.txt', 'w').write('new\\n')", box.source)
        let incremental = try Self.backup(box, into: directory, ["--incremental", "--recipient", box.recipient, "--identity", box.key])
        let other = box.file("other.txt")
        #expect(try box.sindri(["keygen", "-o", other]).status == 0)
        for command in ["restore", "verify"] {
            var arguments = [command, incremental, "--identity", other]
            if command == "restore" { arguments += ["--home", box.home, "--no-interactive"] }
            let result = try box.sindri(arguments)
            #expect(result.status == 4, "\(command): \(result.stderr)")
            #expect(result.stderr.contains("wrong key"), "\(result.stderr)")
        }
        #expect(box.homeIsEmpty)
    }

    @Test func anIncrementalOnAnEncryptedBaseNeedsItsKeyAndIsEncryptedToo() throws {
        let box = try EncryptionSandbox("age-inc-refusals")
        let directory = box.temp.sub("out")
        let full = try Self.backup(box, into: directory, ["--recipient", box.recipient])
        try IncrementalChainTests.python("open('workspace/new.txt', 'w').write('new\\n')", box.source)
        let before = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()

        let noKey = try box.sindri(["backup", "--home", box.source, "-p", "full", "-o", directory + "/", "--incremental", "--recipient", box.recipient])
        #expect(noKey.status == 64, "\(noKey.stderr)")
        #expect(noKey.stderr.split(separator: "\n").count == 1, "\(noKey.stderr)")
        #expect(noKey.stderr.contains("--identity") && noKey.stderr.contains((full as NSString).lastPathComponent), "\(noKey.stderr)")

        let named = try box.sindri(["backup", "--home", box.source, "-p", "full", "-o", directory + "/", "--base", full, "--recipient", box.recipient])
        #expect(named.status == 64, "\(named.stderr)")
        #expect(named.stderr.contains("--identity"), "\(named.stderr)")

        let plain = try box.sindri(["backup", "--home", box.source, "-p", "full", "-o", directory + "/", "--incremental", "--identity", box.key])
        #expect(plain.status == 64, "\(plain.stderr)")
        #expect(plain.stderr.contains("--recipient"), "\(plain.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == before, "nothing written")
    }

    @Test func aPassphraseChainReadsItsBaseWithTheSamePassphrase() throws {
        let box = try EncryptionSandbox("age-inc-passphrase")
        let directory = box.temp.sub("out")
        let passphrase = box.file("pass.txt")
        try "a chain of secrets\n".write(toFile: passphrase, atomically: true, encoding: .utf8)
        _ = try Self.backup(box, into: directory, ["--passphrase-file", passphrase])
        try IncrementalChainTests.python("open('workspace/new.txt', 'w').write('new\\n')", box.source)
        let incremental = try Self.backup(box, into: directory, ["--incremental", "--passphrase-file", passphrase])
        #expect(incremental.hasSuffix("-inc.tar.gz.age"))
        let expected = try IncrementalChainTests.tree(box.source)
        let restore = try box.restore(incremental, ["--passphrase-file", passphrase])
        #expect(restore.status == 0, "\(restore.stderr)")
        #expect(IncrementalChainTests.differences(try IncrementalChainTests.tree(box.home), expected).isEmpty)
    }
}
