import Foundation
import Testing

/// Damaged, forged and wrongly keyed encrypted archives: one clear line, exit 4, nothing
/// written in the home (restore checks the whole archive, decryption included, before its
/// first write).
@Suite(.serialized) struct EncryptedBadInputTests {
    /// One sandbox and one archive (several 64 KiB chunks) for the whole suite.
    struct SharedArchive: Sendable {
        let box: EncryptionSandbox
        let archive: String
        let bytes: [UInt8]
    }

    static let shared: SharedArchive? = {
        guard let box = try? EncryptionSandbox("age-bad"),
              let archive = try? box.backup(["--recipient", box.recipient]),
              let data = FileManager.default.contents(atPath: archive) else { return nil }
        return SharedArchive(box: box, archive: archive, bytes: [UInt8](data))
    }()

    /// Writes `bytes` as an archive, restores it, and checks the refusal.
    private func expectRefused(_ bytes: [UInt8], named name: String, keys: [String]? = nil, message: String) throws {
        let box = try #require(Self.shared).box
        let path = box.file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let restore = try box.restore(path, keys ?? ["--identity", box.key])
        #expect(restore.status == 4, "\(name): \(restore.stderr)")
        let lines = restore.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(name): \(restore.stderr)")
        #expect(restore.stderr.contains(message), "\(name): \(restore.stderr)")
        #expect(!restore.stderr.contains("AgeError") && !restore.stderr.contains("Kind"))
        #expect(box.homeIsEmpty, "\(name) wrote into the home")
        let verify = try box.sindri(["verify", path] + (keys ?? ["--identity", box.key]))
        #expect(verify.status == 4, "\(name): \(verify.stderr)")
    }

    @Test func aWrongIdentityIsOneLineAndExit4() throws {
        let shared = try #require(Self.shared)
        let (box, bytes) = (shared.box, shared.bytes)
        let other = box.file("other-key.txt")
        #expect(try Shell.run(["age-keygen", "-o", other]).status == 0)
        try expectRefused(bytes, named: "wrong-key.age", keys: ["--identity", other], message: "wrong key: no identity given can decrypt it")
    }

    @Test(arguments: ["inside the header", "after the header", "inside a chunk", "at a chunk boundary", "one byte short"])
    func aTruncatedArchiveIsRefused(cut: String) throws {
        let bytes = try #require(Self.shared).bytes
        let start = EncryptionSandbox.payloadStart(bytes)
        #expect(bytes.count > start + 3 * 65552, "the archive must span several chunks")
        let length: Int
        switch cut {
        case "inside the header": length = 60
        case "after the header": length = start
        case "inside a chunk": length = start + 65552 + 1000
        case "at a chunk boundary": length = start + 2 * 65552
        default: length = bytes.count - 1
        }
        let expected = cut == "inside the header" ? "ends inside its header" : "truncated"
        try expectRefused(Array(bytes.prefix(length)), named: "truncated.age", message: expected)
    }

    @Test(arguments: ["stanza", "header MAC", "payload nonce", "first chunk", "middle chunk", "last chunk"])
    func aFlippedByteIsRefusedBeforeTheFirstWrite(place: String) throws {
        let bytes = try #require(Self.shared).bytes
        let start = EncryptionSandbox.payloadStart(bytes)
        let macLine = bytes.firstRange(of: Array("\n--- ".utf8))!.upperBound
        let offset: Int
        let expected: String
        switch place {
        case "stanza":
            offset = 70
            expected = "wrong key"
        case "header MAC":
            offset = macLine + 5
            expected = "the encryption header was changed or damaged"
        case "payload nonce":
            offset = start - 3
            expected = "damaged"
        case "first chunk":
            offset = start + 10
            expected = "damaged or truncated at chunk 0"
        case "middle chunk":
            offset = start + 2 * 65552 + 30_000
            expected = "damaged or truncated at chunk 2"
        default:
            offset = bytes.count - 20
            expected = "damaged or truncated at chunk"
        }
        var changed = bytes
        if place == "stanza" || place == "header MAC" {
            // Another base64 letter (never the last of its line): a flipped bit can make a
            // character that is no base64 at all ('z' ^ 4 is '~'), a malformed line rather than
            // a changed key share or MAC, which made this test fail about one run in twenty.
            changed[offset] = changed[offset] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        } else {
            changed[offset] ^= 0x04
        }
        try expectRefused(changed, named: "flipped.age", message: expected)
    }

    @Test func aPassphraseStanzaBesideAKeyIsRefused() throws {
        let shared = try #require(Self.shared)
        let (box, bytes) = (shared.box, shared.bytes)
        // Insert a well-formed scrypt stanza after the version line: age forbids the mix.
        let versionEnd = bytes.firstIndex(of: 0x0A)! + 1
        let stanza = Array("-> scrypt \(String(repeating: "A", count: 22)) 10\n\(String(repeating: "A", count: 43))\n".utf8)
        let forged = Array(bytes[..<versionEnd]) + stanza + Array(bytes[versionEnd...])
        try expectRefused(forged, named: "mixed.age", keys: ["--identity", box.key], message: "must have no other recipient")
    }

    @Test func aHugeWorkFactorIsRefusedAtOnce() throws {
        let box = try #require(Self.shared).box
        let passphraseFile = box.file("pass")
        try "hunter2\n".write(toFile: passphraseFile, atomically: true, encoding: .utf8)
        let archive = try box.backup(["--passphrase-file", passphraseFile], to: "p.tar.gz.age")
        var bytes = [UInt8](FileManager.default.contents(atPath: archive)!)
        let line = bytes.firstRange(of: Array(" 18\n".utf8))!
        bytes.replaceSubrange(line, with: Array(" 40\n".utf8))
        let clock = ContinuousClock()
        let started = clock.now
        try expectRefused(bytes, named: "huge.age", keys: ["--passphrase-file", passphraseFile],
                          message: "the passphrase work factor 2^40 is above the maximum 2^22")
        // Two runs (restore and verify) in well under the hours 2^40 would take.
        #expect(clock.now - started < .seconds(60))
        let wrong = box.file("wrong")
        try "not it\n".write(toFile: wrong, atomically: true, encoding: .utf8)
        try expectRefused([UInt8](FileManager.default.contents(atPath: archive)!), named: "wrong-pass.age",
                          keys: ["--passphrase-file", wrong], message: "wrong passphrase")
    }
}
