import Foundation
import Testing
@testable import SindriRemote

/// `sindri backup -o s3://…`, `restore`/`verify`/`list`/`backups` of `s3://…` and
/// `prune-uploads`, end to end against SeaweedFS, with the archive read back by the AWS CLI,
/// GNU tar and sha256sum, tools nobody here wrote.
@Suite("sindri with S3", .enabled(if: S3TestServer.isAvailable, S3TestServer.skipReason), .serialized)
struct S3CommandTests {
    @Test("backup to a prefix, then verify, list, backups, restore from S3; the object is a plain .tar.gz for aws, tar and sha256sum")
    func roundTrip() async throws {
        let server = try S3TestServer.shared()
        let scratch = try RemoteCLI.Scratch("s3-roundtrip")
        defer { scratch.remove() }
        let home = scratch.path + "/home"
        try RemoteCLI.makeHome(at: home, bigMiB: 24)
        let prefix = S3TestServer.uniquePrefix("roundtrip")
        let target = "s3://\(server.bucket)/\(prefix)"

        let backup = try RemoteCLI.run(["backup", "-p", "full", "--home", home, "-o", target, "--progress", "never"], server: server)
        #expect(backup.status == 0, "\(backup.stderr)")
        #expect(!backup.stdout.contains(server.secretKey) && !backup.stderr.contains(server.secretKey))
        let client = try S3Client(configuration: try server.configuration())
        let objects = try await client.listObjects(bucket: server.bucket, prefix: prefix).map(\.key).sorted()
        #expect(objects.count == 2)
        let archiveKey = try #require(objects.first { $0.hasSuffix(".tar.gz") })
        #expect(archiveKey.dropFirst(prefix.count).hasPrefix("sindri-backup-"))
        #expect(objects.contains(archiveKey + ".sha256"))
        #expect(try await client.listMultipartUploads(bucket: server.bucket, prefix: prefix).isEmpty)

        // The AWS CLI downloads it; sha256sum -c accepts the sidecar; GNU tar lists the files.
        let local = scratch.path + "/" + String(archiveKey.split(separator: "/").last!)
        for key in [archiveKey, archiveKey + ".sha256"] {
            let copy = try runTool(["aws", "s3", "cp", "s3://\(server.bucket)/\(key)", scratch.path + "/" + String(key.split(separator: "/").last!)],
                                   environment: server.environment())
            #expect(copy.status == 0, "\(copy.stderr)")
        }
        let check = try runTool(["bash", "-c", "cd '\(scratch.path)' && sha256sum -c '\(local).sha256'"])
        #expect(check.status == 0, "\(check.stderr) \(String(decoding: check.stdout, as: UTF8.self))")
        let listing = try runTool(["tar", "-tzf", local])
        #expect(listing.status == 0)
        #expect(String(decoding: listing.stdout, as: UTF8.self).contains("workspace/data.bin"))

        let object = "s3://\(server.bucket)/\(archiveKey)"
        let verify = try RemoteCLI.run(["verify", object, "--progress", "never"], server: server)
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect(verify.stdout.contains("OK"))
        let list = try RemoteCLI.run(["list", object], server: server)
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout.contains("workspace/projects/app/src/file7.swift"))
        let backups = try RemoteCLI.run(["backups", target, "--json"], server: server)
        #expect(backups.status == 0, "\(backups.stderr)")
        #expect(backups.stdout.contains("\"created_at\"") && backups.stdout.contains("\"profile\":\"full\"") && backups.stdout.contains(archiveKey))

        let restored = scratch.path + "/restored"
        try FileManager.default.createDirectory(atPath: restored, withIntermediateDirectories: true)
        let restore = try RemoteCLI.run(["restore", object, "--home", restored, "--no-interactive", "--progress", "never"], server: server)
        #expect(restore.status == 0, "\(restore.stderr)")
        #expect(try RemoteCLI.tree(restored) == RemoteCLI.tree(home))
    }

    @Test("an explicit key replaces the object there only when the backup completes; the AWS CLI's upload of our local archive verifies from S3")
    func explicitKeyAndInterop() async throws {
        let server = try S3TestServer.shared()
        let scratch = try RemoteCLI.Scratch("s3-explicit")
        defer { scratch.remove() }
        let home = scratch.path + "/home"
        try RemoteCLI.makeHome(at: home, bigMiB: 1)
        let prefix = S3TestServer.uniquePrefix("explicit")
        let key = prefix + "ws.tar.gz"
        let backup = try RemoteCLI.run(["backup", "-p", "full", "--home", home, "-o", "s3://\(server.bucket)/\(key)", "--progress", "never"], server: server)
        #expect(backup.status == 0, "\(backup.stderr)")
        // A local backup uploaded by the AWS CLI (its own multipart) reads back through sindri.
        let file = scratch.path + "/local.tar.gz"
        #expect(try RemoteCLI.run(["backup", "-p", "full", "--home", home, "-o", file, "--progress", "never"], server: nil).status == 0)
        let upload = try runTool(["aws", "s3", "cp", file, "s3://\(server.bucket)/\(prefix)theirs.tar.gz"], environment: server.environment())
        #expect(upload.status == 0, "\(upload.stderr)")
        let verify = try RemoteCLI.run(["verify", "s3://\(server.bucket)/\(prefix)theirs.tar.gz", "--progress", "never"], server: server)
        #expect(verify.status == 0, "\(verify.stderr)")
    }

    @Test("a wrong secret fails in one line naming SignatureDoesNotMatch and the credential source, never the secret; nothing is stored")
    func wrongSecret() async throws {
        let server = try S3TestServer.shared()
        let scratch = try RemoteCLI.Scratch("s3-secret")
        defer { scratch.remove() }
        try RemoteCLI.makeHome(at: scratch.path + "/home", bigMiB: 1)
        let prefix = S3TestServer.uniquePrefix("secret")
        let result = try RemoteCLI.run(["backup", "-p", "full", "--home", scratch.path + "/home", "-o", "s3://\(server.bucket)/\(prefix)", "--progress", "never"],
                                       server: server, extra: ["AWS_SECRET_ACCESS_KEY": "wrong-secret-4711"])
        #expect(result.status == 1)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(result.stderr.contains("SignatureDoesNotMatch") && result.stderr.contains("AWS_ACCESS_KEY_ID"))
        #expect(!result.stderr.contains("wrong-secret-4711"))
        let client = try S3Client(configuration: try server.configuration())
        #expect(try await client.listObjects(bucket: server.bucket, prefix: prefix).isEmpty)
    }

    @Test("a missing bucket or object is a usage error (64) in one line")
    func missing() throws {
        let server = try S3TestServer.shared()
        let bucket = try RemoteCLI.run(["verify", "s3://sindri-no-such-bucket/a.tar.gz", "--progress", "never"], server: server)
        #expect(bucket.status == 64, "\(bucket.stderr)")
        #expect(bucket.stderr.contains("does not exist") || bucket.stderr.contains("no such bucket"))
        let object = try RemoteCLI.run(["list", "s3://\(server.bucket)/tests/none.tar.gz"], server: server)
        #expect(object.status == 64, "\(object.stderr)")
        #expect(object.stderr.contains("s3://\(server.bucket)/tests/none.tar.gz does not exist"))
    }

    @Test("backup and restore complete through dropped connections, 5xx, SlowDown, stalls, truncated, short and reset bodies")
    func throughFaults() async throws {
        let server = try S3TestServer.shared()
        let scratch = try RemoteCLI.Scratch("s3-faults")
        defer { scratch.remove() }
        let home = scratch.path + "/home"
        try RemoteCLI.makeHome(at: home, bigMiB: 20)
        // Every second new request fails once: counted, not timed, so below the 8 tries whatever
        // the load; 5 MiB parts so that several parts and ranges meet a fault.
        let proxy = try FaultProxy(server: server, .init(every: 2, faults: FaultProxy.allFaults))
        defer { proxy.stop() }
        let prefix = S3TestServer.uniquePrefix("faults")
        let settings = ["AWS_ENDPOINT_URL": proxy.endpoint, "SINDRI_REMOTE_READ_TIMEOUT": "3", "SINDRI_REMOTE_ATTEMPTS": "8",
                        "SINDRI_TEST_S3_PART_SIZE": String(RemoteCLI.partSize)]
        let backup = try RemoteCLI.run(["backup", "-p", "full", "--home", home, "-o", "s3://\(server.bucket)/\(prefix)ws.tar.gz", "--progress", "never"],
                                       server: server, extra: settings)
        #expect(backup.status == 0, "\(backup.stderr)")
        let restored = scratch.path + "/restored"
        try FileManager.default.createDirectory(atPath: restored, withIntermediateDirectories: true)
        let restore = try RemoteCLI.run(["restore", "s3://\(server.bucket)/\(prefix)ws.tar.gz", "--home", restored, "--no-interactive", "--progress", "never"],
                                        server: server, extra: settings)
        #expect(restore.status == 0, "\(restore.stderr)")
        let injected = proxy.stop()
        #expect(injected.count >= 8, "\(injected)")
        #expect(try RemoteCLI.tree(restored) == RemoteCLI.tree(home))
        // Verified directly against the server: what the faults let through is the archive.
        #expect(try RemoteCLI.run(["verify", "s3://\(server.bucket)/\(prefix)ws.tar.gz", "--progress", "never"], server: server).status == 0)
        #expect(try await S3Client(configuration: try server.configuration()).listMultipartUploads(bucket: server.bucket, prefix: prefix).isEmpty)
    }

    @Test("a backup that cannot finish aborts its upload: no object at the key, the object already there untouched, no upload left")
    func failsCleanly() async throws {
        let server = try S3TestServer.shared()
        let scratch = try RemoteCLI.Scratch("s3-fail")
        defer { scratch.remove() }
        let home = scratch.path + "/home"
        try RemoteCLI.makeHome(at: home, bigMiB: 16)
        let prefix = S3TestServer.uniquePrefix("fail")
        let client = try S3Client(configuration: try server.configuration())
        let existing = S3Location(bucket: server.bucket, key: prefix + "ws.tar.gz")
        try await client.putObject(existing, body: Array("the old archive".utf8))
        let proxy = try FaultProxy(server: server, .init(failPartsAfter: 1))
        defer { proxy.stop() }
        let result = try RemoteCLI.run(["backup", "-p", "full", "--home", home, "-o", existing.description, "--progress", "never"], server: server,
                                       extra: ["AWS_ENDPOINT_URL": proxy.endpoint, "SINDRI_REMOTE_ATTEMPTS": "2",
                                               "SINDRI_TEST_S3_PART_SIZE": String(RemoteCLI.partSize)])
        proxy.stop()
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        #expect(try await client.getObject(existing) == Array("the old archive".utf8))
        #expect(try await client.listMultipartUploads(bucket: server.bucket, prefix: prefix).isEmpty)
        #expect(try await client.listObjects(bucket: server.bucket, prefix: prefix).map(\.key) == [existing.key])
    }

    /// Starts `sindri backup` of `home` (5 MiB parts) to `target` through `proxy`, which lets the
    /// first part upload through and holds the next one open; returns once the proxy has done
    /// both, so the multipart upload exists with one part stored and the backup cannot finish.
    func startHeldBackup(home: String, target: String, server: S3TestServer, proxy: FaultProxy) async throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: RemoteCLI.binary)
        process.arguments = ["backup", "-p", "full", "--home", home, "-o", target, "--progress", "never"]
        var environment = ProcessInfo.processInfo.environment
        for (name, value) in server.environment() { environment[name] = value }
        environment["AWS_ENDPOINT_URL"] = proxy.endpoint
        environment["HOME"] = "/nonexistent-sindri-test-home"
        environment["SINDRI_TEST_S3_PART_SIZE"] = String(RemoteCLI.partSize)
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let passed = try await proxy.waitFor("passed part ")
        let held = try await proxy.waitFor("held part ")
        if !(passed && held) { kill(process.processIdentifier, SIGKILL) }
        try #require(passed && held, "the backup never reached its second part upload: \(proxy.log)")
        return process
    }

    enum Cleanup: String, CaseIterable { case nextBackup = "the next backup to the prefix", pruneUploads = "sindri prune-uploads" }

    @Test("SIGKILL mid-upload: no object at the key, no sidecar; the orphaned upload is aborted as the README says", arguments: Cleanup.allCases)
    func killed(cleanup: Cleanup) async throws {
        let server = try S3TestServer.shared()
        let scratch = try RemoteCLI.Scratch("s3-kill")
        defer { scratch.remove() }
        let home = scratch.path + "/home"
        try RemoteCLI.makeHome(at: home, bigMiB: 16)
        let prefix = S3TestServer.uniquePrefix("kill")
        let proxy = try FaultProxy(server: server, .init(holdPartsAfter: 1))
        defer { proxy.stop() }
        let process = try await startHeldBackup(home: home, target: "s3://\(server.bucket)/\(prefix)", server: server, proxy: proxy)
        let orphans = try AWSCLI.uploads(server, prefix: prefix)
        #expect(orphans.count == 1, "\(orphans)")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL)
        proxy.stop()
        // Killed before completion: nothing at the key, no sidecar, the upload still there.
        #expect(try AWSCLI.objects(server, prefix: prefix).isEmpty)
        #expect(try AWSCLI.uploads(server, prefix: prefix) == orphans)
        let orphan = "s3://\(server.bucket)/\(orphans.first ?? "")"
        switch cleanup {
        case .nextBackup:
            // The next backup there finds it dead (no part for the quiet time, 0 here) and aborts it.
            let small = scratch.path + "/small"
            try RemoteCLI.makeHome(at: small, bigMiB: 0)
            let next = try RemoteCLI.run(["backup", "-p", "full", "--home", small, "-o", "s3://\(server.bucket)/\(prefix)", "--progress", "never"],
                                         server: server, extra: ["SINDRI_REMOTE_ORPHAN_SECONDS": "0"])
            #expect(next.status == 0, "\(next.stderr)")
            #expect(next.stderr.contains("aborted the unfinished upload to \(orphan)"), "\(next.stderr)")
            #expect(try AWSCLI.objects(server, prefix: prefix).count == 2)
        case .pruneUploads:
            let prune = try RemoteCLI.run(["prune-uploads", "s3://\(server.bucket)/\(prefix)"], server: server)
            #expect(prune.status == 0, "\(prune.stderr)")
            #expect(prune.stdout.contains("aborted the unfinished upload to \(orphan)"), "\(prune.stdout)")
            #expect(try AWSCLI.objects(server, prefix: prefix).isEmpty)
        }
        #expect(try AWSCLI.uploads(server, prefix: prefix).isEmpty)
    }

    @Test("SIGINT mid-upload: exit 130, the upload aborted, nothing at the key")
    func interrupted() async throws {
        let server = try S3TestServer.shared()
        let scratch = try RemoteCLI.Scratch("s3-int")
        defer { scratch.remove() }
        let home = scratch.path + "/home"
        try RemoteCLI.makeHome(at: home, bigMiB: 16)
        let prefix = S3TestServer.uniquePrefix("int")
        let proxy = try FaultProxy(server: server, .init(holdPartsAfter: 1))
        defer { proxy.stop() }
        let process = try await startHeldBackup(home: home, target: "s3://\(server.bucket)/\(prefix)ws.tar.gz", server: server, proxy: proxy)
        #expect(try AWSCLI.uploads(server, prefix: prefix).count == 1)
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        proxy.stop()
        #expect(process.terminationStatus == 130)
        #expect(try AWSCLI.uploads(server, prefix: prefix).isEmpty)
        #expect(try AWSCLI.objects(server, prefix: prefix).isEmpty)
    }

    @Test("prune-uploads aborts every unfinished upload under the prefix, and only there")
    func pruneUploads() async throws {
        let server = try S3TestServer.shared()
        let client = try S3Client(configuration: try server.configuration())
        let prefix = S3TestServer.uniquePrefix("prune")
        let other = S3TestServer.uniquePrefix("prune-other")
        let inside = try await client.createMultipartUpload(S3Location(bucket: server.bucket, key: prefix + "a.tar.gz"))
        _ = try await client.uploadPart(S3Location(bucket: server.bucket, key: prefix + "a.tar.gz"), uploadId: inside, number: 1, body: [1, 2, 3])
        let outside = try await client.createMultipartUpload(S3Location(bucket: server.bucket, key: other + "b.tar.gz"))
        let prune = try RemoteCLI.run(["prune-uploads", "s3://\(server.bucket)/\(prefix)"], server: server)
        #expect(prune.status == 0, "\(prune.stderr)")
        #expect(prune.stdout.contains("aborted the unfinished upload to s3://\(server.bucket)/\(prefix)a.tar.gz"), "\(prune.stdout)")
        #expect(try await client.listMultipartUploads(bucket: server.bucket, prefix: prefix).isEmpty)
        #expect(try await client.listMultipartUploads(bucket: server.bucket, prefix: other).map(\.uploadId) == [outside])
        try await client.abortMultipartUpload(S3Location(bucket: server.bucket, key: other + "b.tar.gz"), uploadId: outside)
    }
}
