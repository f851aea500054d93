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

    @Test("backup and restore complete through dropped connections, 5xx, SlowDown, stalls and truncated bodies")
    func throughFaults() async throws {
        let server = try S3TestServer.shared()
        let scratch = try RemoteCLI.Scratch("s3-faults")
        defer { scratch.remove() }
        let home = scratch.path + "/home"
        try RemoteCLI.makeHome(at: home, bigMiB: 40)
        let proxy = try FaultProxy(upstreamPort: FaultProxy.upstreamPort(of: server.endpoint), every: 4,
                                   faults: ["drop", "500", "slowdown", "stall", "truncate", "503"], stallSeconds: 10)
        let prefix = S3TestServer.uniquePrefix("faults")
        let settings = ["AWS_ENDPOINT_URL": proxy.endpoint, "SINDRI_REMOTE_READ_TIMEOUT": "6", "SINDRI_REMOTE_ATTEMPTS": "8"]
        let backup = try RemoteCLI.run(["backup", "-p", "full", "--home", home, "-o", "s3://\(server.bucket)/\(prefix)ws.tar.gz", "--progress", "never"],
                                       server: server, extra: settings)
        #expect(backup.status == 0, "\(backup.stderr)")
        let restored = scratch.path + "/restored"
        try FileManager.default.createDirectory(atPath: restored, withIntermediateDirectories: true)
        let restore = try RemoteCLI.run(["restore", "s3://\(server.bucket)/\(prefix)ws.tar.gz", "--home", restored, "--no-interactive", "--progress", "never"],
                                        server: server, extra: settings)
        #expect(restore.status == 0, "\(restore.stderr)")
        let injected = proxy.stop()
        #expect(injected.count >= 6, "\(injected)")
        #expect(try RemoteCLI.tree(restored) == RemoteCLI.tree(home))
        // Verified directly against the server: what the faults let through is the archive.
        // (A stall outlasts the 6 s read timeout: the request is retried, not waited for.)
        #expect(try RemoteCLI.run(["verify", "s3://\(server.bucket)/\(prefix)ws.tar.gz", "--progress", "never"], server: server).status == 0)
    }

    @Test("a backup that cannot finish aborts its upload: no object at the key, the object already there untouched, no upload left")
    func failsCleanly() async throws {
        let server = try S3TestServer.shared()
        let scratch = try RemoteCLI.Scratch("s3-fail")
        defer { scratch.remove() }
        let home = scratch.path + "/home"
        try RemoteCLI.makeHome(at: home, bigMiB: 48)
        let prefix = S3TestServer.uniquePrefix("fail")
        let client = try S3Client(configuration: try server.configuration())
        let existing = S3Location(bucket: server.bucket, key: prefix + "ws.tar.gz")
        try await client.putObject(existing, body: Array("the old archive".utf8))
        let proxy = try FaultProxy(upstreamPort: FaultProxy.upstreamPort(of: server.endpoint), every: 0, failPartsAfter: 1)
        let result = try RemoteCLI.run(["backup", "-p", "full", "--home", home, "-o", existing.description, "--progress", "never"], server: server,
                                       extra: ["AWS_ENDPOINT_URL": proxy.endpoint, "SINDRI_REMOTE_ATTEMPTS": "2"])
        _ = proxy.stop()
        #expect(result.status == 1, "\(result.stderr)")
        #expect(try await client.getObject(existing) == Array("the old archive".utf8))
        #expect(try await client.listMultipartUploads(bucket: server.bucket, prefix: prefix).isEmpty)
        #expect(try await client.listObjects(bucket: server.bucket, prefix: prefix).map(\.key) == [existing.key])
    }

    /// Starts `sindri backup` of `home` to `target` through a proxy that slows every request, and
    /// waits until its multipart upload exists.
    func startSlowBackup(home: String, target: String, server: S3TestServer, proxy: FaultProxy) async throws -> (Process, [S3MultipartUpload]) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: RemoteCLI.binary)
        process.arguments = ["backup", "-p", "full", "--home", home, "-o", target, "--progress", "never"]
        var environment = ProcessInfo.processInfo.environment
        for (name, value) in server.environment() { environment[name] = value }
        environment["AWS_ENDPOINT_URL"] = proxy.endpoint
        environment["HOME"] = "/nonexistent-sindri-test-home"
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let client = try S3Client(configuration: try server.configuration())
        let location = try S3Location.parse(target)
        var uploads: [S3MultipartUpload] = []
        for _ in 0..<600 where uploads.isEmpty {
            try await Task.sleep(nanoseconds: 100_000_000)
            uploads = try await client.listMultipartUploads(bucket: location.bucket, prefix: location.key)
        }
        return (process, uploads)
    }

    @Test("SIGKILL mid-upload: no object at the key; the next backup to the prefix aborts the orphaned upload",
          .disabled("timing: in the full parallel suite the backup completes before the kill lands, so the test sees a finished object; it needs a proxy that holds the parts back"))
    func killed() async throws {
        let server = try S3TestServer.shared()
        let scratch = try RemoteCLI.Scratch("s3-kill")
        defer { scratch.remove() }
        let home = scratch.path + "/home"
        try RemoteCLI.makeHome(at: home, bigMiB: 64)
        let prefix = S3TestServer.uniquePrefix("kill")
        let proxy = try FaultProxy(upstreamPort: FaultProxy.upstreamPort(of: server.endpoint), every: 0, delay: 0.5)
        let (process, uploads) = try await startSlowBackup(home: home, target: "s3://\(server.bucket)/\(prefix)", server: server, proxy: proxy)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        _ = proxy.stop()
        let client = try S3Client(configuration: try server.configuration())
        #expect(uploads.count == 1)
        #expect(try await client.listObjects(bucket: server.bucket, prefix: prefix).isEmpty)
        #expect(try await client.listMultipartUploads(bucket: server.bucket, prefix: prefix).count == 1)
        // The next backup there finds it dead (no part for the quiet time, 0 here) and aborts it.
        let small = scratch.path + "/small"
        try RemoteCLI.makeHome(at: small, bigMiB: 0)
        let next = try RemoteCLI.run(["backup", "-p", "full", "--home", small, "-o", "s3://\(server.bucket)/\(prefix)", "--progress", "never"],
                                     server: server, extra: ["SINDRI_REMOTE_ORPHAN_SECONDS": "0"])
        #expect(next.status == 0, "\(next.stderr)")
        #expect(next.stderr.contains("aborted the unfinished upload to s3://\(server.bucket)/\(prefix)sindri-backup-"), "\(next.stderr)")
        #expect(try await client.listMultipartUploads(bucket: server.bucket, prefix: prefix).isEmpty)
        #expect(try await client.listObjects(bucket: server.bucket, prefix: prefix).count == 2)
    }

    @Test("SIGINT mid-upload: exit 130, the upload aborted, nothing at the key")
    func interrupted() async throws {
        let server = try S3TestServer.shared()
        let scratch = try RemoteCLI.Scratch("s3-int")
        defer { scratch.remove() }
        let home = scratch.path + "/home"
        try RemoteCLI.makeHome(at: home, bigMiB: 64)
        let prefix = S3TestServer.uniquePrefix("int")
        let proxy = try FaultProxy(upstreamPort: FaultProxy.upstreamPort(of: server.endpoint), every: 0, delay: 0.3)
        let (process, uploads) = try await startSlowBackup(home: home, target: "s3://\(server.bucket)/\(prefix)ws.tar.gz", server: server, proxy: proxy)
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        _ = proxy.stop()
        #expect(uploads.count == 1)
        #expect(process.terminationStatus == 130)
        let client = try S3Client(configuration: try server.configuration())
        #expect(try await client.listMultipartUploads(bucket: server.bucket, prefix: prefix).isEmpty)
        #expect(try await client.listObjects(bucket: server.bucket, prefix: prefix).isEmpty)
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
