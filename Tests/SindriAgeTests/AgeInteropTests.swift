import Foundation
import SindriAge
import Testing

/// Files written by SindriAge open with the real `age` tool, and files `age` writes open with
/// SindriAge: X25519 keys both ways (including identity files from `age-keygen`) and
/// passphrases both ways, typed at age's terminal prompt.
@Suite struct AgeInteropTests {
    /// Several chunks, a short last one: exercises the counter and the last-chunk flag.
    static let plaintext: [UInt8] = (0..<(3 * 65536 + 1234)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 11) }

    @Test(arguments: [0, 1, 65536, 65537, 3 * 65536 + 1234])
    func ourFileOpensWithAgeAndAnIdentityFile(size: Int) throws {
        let directory = try AgeTemporaryDirectory()
        let identity = AgeX25519Identity()
        try directory.write("key.txt", Array(AgeKeyFile.identityFileText(identity, created: Date()).utf8))
        let plaintext = Array(Self.plaintext.prefix(size))
        try directory.write("file.age", try AgeFile.encrypt(plaintext, to: [identity.recipient]))
        let result = try runAgeTool(["age", "-d", "-i", directory.path("key.txt"), directory.path("file.age")], in: directory)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput == plaintext)
    }

    @Test func ourFileToSeveralRecipientsOpensWithEachKey() throws {
        let directory = try AgeTemporaryDirectory()
        let identities = [AgeX25519Identity(), AgeX25519Identity()]
        try directory.write("file.age", try AgeFile.encrypt(Self.plaintext, to: identities.map(\.recipient)))
        for (index, identity) in identities.enumerated() {
            try directory.write("key\(index).txt", Array(AgeKeyFile.identityFileText(identity, created: Date()).utf8))
            let result = try runAgeTool(
                ["age", "-d", "-i", directory.path("key\(index).txt"), directory.path("file.age")], in: directory)
            #expect(result.status == 0, "\(result.standardError)")
            #expect(result.standardOutput == Self.plaintext)
        }
    }

    @Test func ageKeygenIdentityOpensWhatAgeEncrypted() throws {
        let directory = try AgeTemporaryDirectory()
        let keygen = try runAgeTool(["age-keygen", "-o", directory.path("key.txt")], in: directory)
        #expect(keygen.status == 0, "\(keygen.standardError)")
        let keyText = String(decoding: try directory.read("key.txt"), as: UTF8.self)
        let identities = try AgeKeyFile.parseIdentities(keyText)
        #expect(identities.count == 1)
        // age-keygen prints the recipient; ours must be the same string.
        let publicLine = keyText.split(separator: "\n").first { $0.hasPrefix("# public key: ") }!
        let recipient = String(publicLine.dropFirst("# public key: ".count))
        #expect(identities[0].recipient.encoded == recipient)
        #expect(try AgeX25519Recipient(parsing: recipient) == identities[0].recipient)

        try directory.write("plain", Self.plaintext)
        let encrypt = try runAgeTool(
            ["age", "-r", recipient, "-o", directory.path("file.age"), directory.path("plain")], in: directory)
        #expect(encrypt.status == 0, "\(encrypt.standardError)")
        var released: [UInt8] = []
        try AgeFile.decrypt(try directory.read("file.age"), identities: identities, into: &released)
        #expect(released == Self.plaintext)
    }

    @Test func ourPassphraseFileOpensWithAgeAtItsPrompt() throws {
        let directory = try AgeTemporaryDirectory()
        let passphrase = "correct horse battery staple"
        // Work factor 10 keeps the test fast; age accepts any factor up to its maximum.
        let recipient = try AgeScryptRecipient(passphrase: Array(passphrase.utf8), workFactor: 10)
        try directory.write("file.age", try AgeFile.encrypt(Self.plaintext, to: [recipient]))
        let result = try runOnTerminal(
            ["age", "-d", "-o", directory.path("out"), directory.path("file.age")], passphrase: passphrase, in: directory)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(try directory.read("out") == Self.plaintext)
    }

    @Test func agePassphraseFileOpensWithOurs() throws {
        let directory = try AgeTemporaryDirectory()
        let passphrase = "correct horse battery staple"
        try directory.write("plain", Self.plaintext)
        let result = try runOnTerminal(
            ["age", "-p", "-o", directory.path("file.age"), directory.path("plain")], passphrase: passphrase, in: directory)
        #expect(result.status == 0, "\(result.standardError)")
        let file = try directory.read("file.age")
        #expect(AgeDecryptor.needsPassphrase(prefix: file) == true)
        var released: [UInt8] = []
        try AgeFile.decrypt(file, identities: [AgeScryptIdentity(passphrase: Array(passphrase.utf8))], into: &released)
        #expect(released == Self.plaintext)
        // The wrong passphrase is "no match", and nothing is released.
        var wrong: [UInt8] = []
        #expect(throws: AgeError(.noMatch, "wrong passphrase")) {
            try AgeFile.decrypt(file, identities: [AgeScryptIdentity(passphrase: Array("wrong".utf8))], into: &wrong)
        }
        #expect(wrong.isEmpty)
    }
}
