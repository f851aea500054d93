import Foundation
import SindriTestSupport
import Testing
@testable import SindriRemote

/// What goes to S3 comes back: every profile, an archive of many parts holding a multi-GiB
/// sparse file, and the `backups` listing of a prefix; read back by the AWS CLI, GNU tar,
/// Python's tarfile and sha256sum, tools nobody here wrote.
@Suite("sindri with S3: round trips", .enabled(if: S3TestServer.isAvailable, S3TestServer.skipReason), .serialized)
struct S3RoundTripTests {
    /// The one archive under `prefix` (and its sidecar), as the AWS CLI lists them.
    static func archiveKey(_ server: S3TestServer, prefix: String) throws -> String {
        let keys = try AWSCLI.objects(server, prefix: prefix)
        #expect(keys.count == 2, "\(keys)")
        let key = try #require(keys.first { $0.hasSuffix(".tar.gz") })
        #expect(keys.contains(key + ".sha256"))
        return key
    }

    @Test("every profile round-trips through S3: the members of a local backup, restored exactly as archived", arguments: ["user-data", "standard", "full"])
    func profileRoundTrip(profile: String) throws {
        let server = try S3TestServer.shared()
        let box = try RestoreSandbox("s3-rt-\(profile)")
        let source = box.temp.sub("source")
        _ = try Fixture.guideHome(at: source)
        let prefix = S3TestServer.uniquePrefix("profile-\(profile)")
        let backup = try RemoteCLI.run(["backup", "-p", profile, "--home", source, "-o", "s3://\(server.bucket)/\(prefix)", "--progress", "never"],
                                       server: server)
        #expect(backup.status == 0, "\(backup.stderr)")
        let key = try Self.archiveKey(server, prefix: prefix)
        let downloaded = box.file("from-s3.tar.gz")
        let copy = try runTool(["aws", "s3", "cp", "s3://\(server.bucket)/\(key)", downloaded], environment: server.environment())
        #expect(copy.status == 0, "\(copy.stderr)")
        // The same members, in the same order, as a local backup of the same tree and profile.
        let local = try box.backup(of: source, profile: profile, to: "local.tar.gz")
        let remoteNames = try gnuTarList(downloaded)
        #expect(remoteNames.status == 0, "\(remoteNames.stderr)")
        #expect(remoteNames.names == (try gnuTarList(local)).names)

        let restore = try RemoteCLI.run(["restore", "s3://\(server.bucket)/\(key)", "--home", box.home, "--no-interactive", "--progress", "never"],
                                        server: server)
        #expect(restore.status == 0, "\(restore.stderr)")
        #expect(try RoundTripCheck.compare(archive: downloaded, original: source, restored: box.home) == "[]")
    }

    @Test("a 2 GiB sparse file: the archive spans several parts, matches its .sha256 as the AWS CLI downloads it, and verifies from S3")
    func sparseFileManyParts() throws {
        let server = try S3TestServer.shared()
        let scratch = try RemoteCLI.Scratch("s3-sparse")
        defer { scratch.remove() }
        let home = scratch.path + "/home"
        try FileManager.default.createDirectory(atPath: home + "/vm", withIntermediateDirectories: true)
        // 2 GiB of holes (zeros deflate ~1000:1, so the CPU stays modest) with 12 MiB of random
        // bytes in three places: the archive is ~14 MiB, three parts of 5 MiB.
        let image = home + "/vm/disk.img"
        let made = try runTool(["python3", "-c", """
            import os, sys
            with open(sys.argv[1], 'wb') as f:
                f.truncate(2 << 30)
                for offset in (0, 1 << 30, (2 << 30) - (4 << 20)):
                    f.seek(offset); f.write(os.urandom(4 << 20))
            """, image])
        #expect(made.status == 0, "\(made.stderr)")
        let prefix = S3TestServer.uniquePrefix("sparse")
        let backup = try RemoteCLI.run(["backup", "-p", "full", "--home", home, "-o", "s3://\(server.bucket)/\(prefix)", "--progress", "never"],
                                       server: server, extra: ["SINDRI_TEST_S3_PART_SIZE": String(RemoteCLI.partSize)])
        #expect(backup.status == 0, "\(backup.stderr)")
        let key = try Self.archiveKey(server, prefix: prefix)
        // A multipart object's ETag ends with its number of parts.
        let head = try AWSCLI.json(["s3api", "head-object", "--bucket", server.bucket, "--key", key], server: server)
        let etag = (head["ETag"] as? String ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        let parts = Int(etag.split(separator: "-").last ?? "") ?? 0
        let size = head["ContentLength"] as? Int ?? 0
        #expect(parts >= 3 && parts == (size + RemoteCLI.partSize - 1) / RemoteCLI.partSize, "ETag \(etag), \(size) bytes")
        #expect(try AWSCLI.uploads(server, prefix: prefix).isEmpty)

        // As the AWS CLI downloads it, the object matches its .sha256 (sha256sum -c) and
        // Python's tarfile finds the manifest and the whole-size image at its start (reading on
        // through 2 GiB of zeros would cost more CPU than the rest of the test; the content
        // is checked by verify below, against the per-file SHA-256 the backup took of the source).
        let name = String(key.split(separator: "/").last!)
        for object in [key, key + ".sha256"] {
            let copy = try runTool(["aws", "s3", "cp", "s3://\(server.bucket)/\(object)", scratch.path + "/" + String(object.split(separator: "/").last!)],
                                   environment: server.environment())
            #expect(copy.status == 0, "\(copy.stderr)")
        }
        let check = try runTool(["bash", "-c", "cd '\(scratch.path)' && sha256sum -c '\(name).sha256'"])
        #expect(check.status == 0, "\(check.stderr)")
        let members = try runTool(["python3", "-c", """
            import sys, tarfile
            # 'r:gz', not the stream mode 'r|gz', which stops at the end of the first gzip member.
            with tarfile.open(sys.argv[1], 'r:gz') as archive:
                for member in archive:
                    print(member.name, member.size)
                    if member.name == 'vm/disk.img':
                        break
            """, scratch.path + "/" + name])
        let listing = String(decoding: members.stdout, as: UTF8.self)
        #expect(members.status == 0 && listing.hasPrefix(".backup-manifest.json ") && listing.contains("vm/disk.img \(2 << 30)\n"), "\(listing) \(members.stderr)")
        let verify = try RemoteCLI.run(["verify", "s3://\(server.bucket)/\(key)", "--progress", "never"], server: server)
        #expect(verify.status == 0, "\(verify.stderr)")
    }

    @Test("backups lists a prefix newest first with profile, size and files from each manifest, and only our archives")
    func backupsListing() async throws {
        let server = try S3TestServer.shared()
        let scratch = try RemoteCLI.Scratch("s3-backups")
        defer { scratch.remove() }
        let home = scratch.path + "/home"
        try RemoteCLI.makeHome(at: home, bigMiB: 0)
        let prefix = S3TestServer.uniquePrefix("backups")
        let target = "s3://\(server.bucket)/\(prefix)"
        for profile in ["user-data", "full"] {
            let backup = try RemoteCLI.run(["backup", "-p", profile, "--home", home, "-o", target, "--progress", "never"], server: server)
            #expect(backup.status == 0, "\(backup.stderr)")
        }
        // A stray file is not listed; a .tar.gz that is not ours is, last, saying so.
        let client = try S3Client(configuration: try server.configuration())
        try await client.putObject(S3Location(bucket: server.bucket, key: prefix + "notes.txt"), body: Array("hello".utf8))
        try await client.putObject(S3Location(bucket: server.bucket, key: prefix + "zz-other.tar.gz"), body: Array("not gzip".utf8))
        let sizes = Dictionary(uniqueKeysWithValues: try await client.listObjects(bucket: server.bucket, prefix: prefix).map { ($0.key, $0.size) })

        let listed = try RemoteCLI.run(["backups", target, "--json"], server: server)
        #expect(listed.status == 0, "\(listed.stderr)")
        let summary = listed.stdout.split(separator: "\n").compactMap { line -> [String: Any]? in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            return object["details"] != nil ? object : nil
        }.last
        let entries = try #require(summary?["details"] as? [[String: Any]], "\(listed.stdout)")
        #expect(entries.count == 3, "\(entries)")
        let ours = entries.filter { $0["created_at"] != nil }
        #expect(Set(ours.compactMap { $0["profile"] as? String }) == ["full", "user-data"], "\(entries)")
        let created = ours.compactMap { $0["created_at"] as? String }
        #expect(created.count == 2 && created[0] >= created[1], "newest first: \(created)")
        #expect((entries.last?["location"] as? String)?.hasSuffix("zz-other.tar.gz") == true && entries.last?["error"] != nil, "\(entries)")
        for entry in ours {
            let location = entry["location"] as? String ?? ""
            let key = String(location.dropFirst("s3://\(server.bucket)/".count))
            #expect(location.hasPrefix("s3://\(server.bucket)/\(prefix)sindri-backup-"), "\(entry)")
            #expect((entry["size_bytes"] as? Int).map(UInt64.init) == sizes[key], "\(entry)")
            #expect((entry["files"] as? Int ?? 0) > 0, "\(entry)")
        }
        let text = try RemoteCLI.run(["backups", target], server: server)
        #expect(text.status == 0, "\(text.stderr)")
        #expect(!text.stdout.contains("notes.txt"))
    }
}
