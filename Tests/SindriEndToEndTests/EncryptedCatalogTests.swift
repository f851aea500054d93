import Foundation
import Testing

/// `sindri backups DIR` with encrypted archives: listed as such (name, size, the file's time)
/// without their key, whatever their name; with a key, their manifest like a plain archive's.
@Suite(.serialized) struct EncryptedCatalogTests {
    /// A directory with a plain backup, an encrypted one, and a copy of the encrypted one under
    /// a name that says nothing.
    static func directory(_ box: EncryptionSandbox) throws -> (directory: String, plain: String, encrypted: String, odd: String) {
        let directory = box.temp.sub("out")
        let plain = try box.backup([], to: "out/plain.tar.gz")
        let encrypted = try box.backup(["--recipient", box.recipient], to: "out/secret.tar.gz.age")
        let odd = directory + "/nothing-to-see"
        try FileManager.default.copyItem(atPath: encrypted, toPath: odd)
        return (directory, plain, encrypted, odd)
    }

    /// The summary's `details`, one object per archive, by file name.
    static func details(_ output: ProcessOutput) throws -> [String: [String: Any]] {
        let stream = JSONStream(output.stdout)
        #expect(stream.badLines.isEmpty, "\(stream.badLines)")
        let summary = try #require(stream.of("summary").first)
        let entries = try #require(summary["details"] as? [[String: Any]])
        var byName: [String: [String: Any]] = [:]
        for entry in entries { byName[((entry["location"] as? String ?? "") as NSString).lastPathComponent] = entry }
        return byName
    }

    @Test func withoutAKeyEncryptedArchivesAreListedAsEncryptedWithTheirFileTime() throws {
        let box = try EncryptionSandbox("age-backups")
        let (directory, plain, encrypted, odd) = try Self.directory(box)
        let text = try box.sindri(["backups", directory])
        #expect(text.status == 0, "\(text.stderr)")
        let lines = text.stdoutText.split(separator: "\n").map(String.init)
        #expect(lines.count == 4, "\(lines)")
        #expect(lines.first?.hasPrefix("TYPE") == true)
        for path in [encrypted, odd] {
            let line = try #require(lines.first { $0.hasSuffix(path + "  (encrypted: --identity reads its manifest)") }, "\(lines)")
            #expect(line.hasPrefix("encrypted "), "\(line)")
            // Its time is the file's, marked as such; nothing of the manifest is shown.
            #expect(line.contains("Z (file)"), "\(line)")
            #expect(!line.contains(" full "), "\(line)")
        }
        let plainLine = try #require(lines.first { $0.hasSuffix(plain) })
        #expect(plainLine.hasPrefix("full ") && plainLine.contains(" full "), "\(plainLine)")

        let json = try box.sindri(["backups", directory, "--json"])
        #expect(json.status == 0, "\(json.stderr)")
        let details = try Self.details(json)
        #expect(details.count == 3)
        for name in ["secret.tar.gz.age", "nothing-to-see"] {
            let entry = try #require(details[name])
            #expect(entry["encrypted"] as? Bool == true)
            #expect(entry["created_at"] == nil && entry["profile"] == nil && entry["files"] == nil && entry["backup_type"] == nil, "\(entry)")
            #expect((entry["modified"] as? String)?.hasSuffix("Z") == true)
            #expect(entry["note"] as? String == "encrypted: --identity reads its manifest")
            #expect(entry["size_bytes"] as? Int == (try FileManager.default.attributesOfItem(atPath: encrypted)[.size] as? Int))
        }
        let plainEntry = try #require(details["plain.tar.gz"])
        #expect(plainEntry["encrypted"] as? Bool == false)
        #expect(plainEntry["profile"] as? String == "full")
    }

    @Test func withTheIdentityTheirManifestIsShownLikeAPlainArchives() throws {
        let box = try EncryptionSandbox("age-backups-key")
        let (directory, plain, encrypted, odd) = try Self.directory(box)
        let text = try box.sindri(["backups", directory, "--identity", box.key])
        #expect(text.status == 0, "\(text.stderr)")
        let lines = text.stdoutText.split(separator: "\n").map(String.init)
        for path in [encrypted, odd] {
            let line = try #require(lines.first { $0.hasSuffix(path) }, "\(lines)")
            #expect(line.hasPrefix("full (age) "), "\(line)")
            #expect(!line.contains("(file)"), "\(line)")
        }
        #expect(lines.contains { $0.hasPrefix("full ") && $0.hasSuffix(plain) })

        // The same with the identity from the environment, as JSON.
        let json = try box.sindri(["backups", directory, "--json"], environment: ["SINDRI_IDENTITY_FILE": box.key])
        #expect(json.status == 0, "\(json.stderr)")
        let details = try Self.details(json)
        let plainEntry = try #require(details["plain.tar.gz"])
        for name in ["secret.tar.gz.age", "nothing-to-see"] {
            let entry = try #require(details[name])
            #expect(entry["encrypted"] as? Bool == true)
            #expect(entry["profile"] as? String == "full" && entry["backup_type"] as? String == "full", "\(entry)")
            #expect(entry["source"] as? String == plainEntry["source"] as? String)
            #expect(entry["files"] as? Int == plainEntry["files"] as? Int && (entry["files"] as? Int ?? 0) > 0)
            #expect((entry["created_at"] as? String)?.hasSuffix("Z") == true)
        }
    }

    @Test func aWrongIdentityOrAPassphraseArchiveWithoutItsPassphraseStaysEncryptedAndIsNoError() throws {
        let box = try EncryptionSandbox("age-backups-wrong")
        let directory = box.temp.sub("out")
        let encrypted = try box.backup(["--recipient", box.recipient], to: "out/a.tar.gz.age")
        let passphraseFile = box.file("pass.txt")
        try "correct horse\n".write(toFile: passphraseFile, atomically: true, encoding: .utf8)
        let locked = try box.backup(["--passphrase-file", passphraseFile], to: "out/b.tar.gz.age")
        let other = box.file("other.txt")
        #expect(try box.sindri(["keygen", "-o", other]).status == 0)

        let wrong = try box.sindri(["backups", directory, "--identity", other, "--json"])
        #expect(wrong.status == 0, "\(wrong.stderr)")
        let details = try Self.details(wrong)
        #expect(details["a.tar.gz.age"]?["note"] as? String == "no identity given can decrypt it")
        #expect(details["a.tar.gz.age"]?["created_at"] == nil)
        #expect(details["b.tar.gz.age"]?["note"] as? String == "passphrase-encrypted: no passphrase given")

        // The passphrase file opens the passphrase one, the identity the other, in one listing.
        let both = try box.sindri(["backups", directory, "--identity", box.key, "--passphrase-file", passphraseFile])
        #expect(both.status == 0, "\(both.stderr)")
        let lines = both.stdoutText.split(separator: "\n").map(String.init)
        #expect(lines.filter { $0.hasPrefix("full (age) ") }.count == 2, "\(lines)")
        #expect(lines.contains { $0.hasSuffix(encrypted) } && lines.contains { $0.hasSuffix(locked) })
    }
}
