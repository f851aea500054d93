import Foundation
import Testing
@testable import SindriRemote

/// `sindri backups s3://…` with encrypted archives, against SeaweedFS: listed as encrypted
/// (name, size, the object's time) without a key, whatever the object's name; with the
/// identity, their manifest as for a plain archive, from one ranged GET each.
@Suite("sindri backups of encrypted archives on S3", .enabled(if: S3TestServer.isAvailable, S3TestServer.skipReason), .serialized)
struct S3EncryptedCatalogTests {
    @Test("encrypted objects are listed as such without a key, and with their manifest given --identity (text and --json)")
    func encryptedObjects() throws {
        let server = try S3TestServer.shared()
        let scratch = try RemoteCLI.Scratch("s3-age-backups")
        defer { scratch.remove() }
        let home = scratch.path + "/home"
        try RemoteCLI.makeHome(at: home, bigMiB: 1)
        let key = scratch.path + "/key.txt"
        let keygen = try RemoteCLI.run(["keygen", "-o", key], server: nil)
        #expect(keygen.status == 0, "\(keygen.stderr)")
        let recipient = keygen.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let prefix = S3TestServer.uniquePrefix("age-backups")
        let target = "s3://\(server.bucket)/\(prefix)"
        for extra in [[], ["--recipient", recipient]] {
            let backup = try RemoteCLI.run(["backup", "-p", "full", "--home", home, "-o", target, "--progress", "never"] + extra, server: server)
            #expect(backup.status == 0, "\(backup.stderr)")
        }
        // An encrypted archive under a name that says nothing, uploaded by the AWS CLI.
        let local = scratch.path + "/local.tar.gz.age"
        #expect(try RemoteCLI.run(["backup", "-p", "full", "--home", home, "-o", local, "--recipient", recipient, "--progress", "never"], server: nil).status == 0)
        let upload = try runTool(["aws", "s3", "cp", local, "s3://\(server.bucket)/\(prefix)blob"], environment: server.environment())
        #expect(upload.status == 0, "\(upload.stderr)")

        let text = try RemoteCLI.run(["backups", target], server: server)
        #expect(text.status == 0, "\(text.stderr)")
        let lines = text.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 4, "\(lines)")
        let encryptedLines = lines.filter { $0.hasPrefix("encrypted ") }
        #expect(encryptedLines.count == 2, "\(lines)")
        #expect(encryptedLines.allSatisfy { $0.contains("Z (file)") && $0.hasSuffix("(encrypted: --identity reads its manifest)") })
        #expect(encryptedLines.contains { $0.contains("\(prefix)blob  (") })
        #expect(lines.filter { $0.hasPrefix("full ") }.count == 1, "\(lines)")

        let json = try RemoteCLI.run(["backups", target, "--json"], server: server)
        #expect(json.status == 0, "\(json.stderr)")
        let entries = try Self.details(json.stdout)
        #expect(entries.count == 3)
        let encrypted = entries.filter { $0["encrypted"] as? Bool == true }
        #expect(encrypted.count == 2)
        #expect(encrypted.allSatisfy { $0["created_at"] == nil && $0["profile"] == nil && ($0["modified"] as? String)?.hasSuffix("Z") == true })
        #expect(encrypted.allSatisfy { ($0["size_bytes"] as? Int ?? 0) > 1 << 20 })

        let keyed = try RemoteCLI.run(["backups", target, "--identity", key], server: server)
        #expect(keyed.status == 0, "\(keyed.stderr)")
        let keyedLines = keyed.stdout.split(separator: "\n").map(String.init)
        #expect(keyedLines.filter { $0.hasPrefix("full (age) ") }.count == 2, "\(keyedLines)")
        #expect(!keyed.stdout.contains("(file)"))

        let keyedJSON = try RemoteCLI.run(["backups", target, "--json"], server: server, extra: ["SINDRI_IDENTITY_FILE": key])
        #expect(keyedJSON.status == 0, "\(keyedJSON.stderr)")
        let opened = try Self.details(keyedJSON.stdout).filter { $0["encrypted"] as? Bool == true }
        #expect(opened.count == 2)
        #expect(opened.allSatisfy { $0["profile"] as? String == "full" && $0["backup_type"] as? String == "full" && ($0["files"] as? Int ?? 0) > 40 })
    }

    /// The `details` of the summary line of a `--json` run.
    static func details(_ stdout: String) throws -> [[String: Any]] {
        for line in stdout.split(separator: "\n") {
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  object["message_type"] as? String == "summary" else { continue }
            return object["details"] as? [[String: Any]] ?? []
        }
        Issue.record("no summary in \(stdout)")
        return []
    }
}
