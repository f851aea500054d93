import Foundation
import SindriTestSupport
import Testing
@testable import SindriRemote

/// What the user sees when S3 says no: a wrong region, a missing bucket, and reads that fail
/// under a restore, which either complete exactly or change nothing in the home.
@Suite("sindri with S3: errors", .enabled(if: S3TestServer.isAvailable, S3TestServer.skipReason), .serialized)
struct S3ErrorTests {
    /// One line on stderr (the user's), and its text.
    static func oneLine(_ output: RemoteCLI.Output) -> String? {
        let lines = output.stderr.split(separator: "\n")
        return lines.count == 1 ? String(lines[0]) : nil
    }

    @Test("a bucket in another region is one line naming that region, exit 1, for AWS's 301 PermanentRedirect and 400 AuthorizationHeaderMalformed",
          arguments: [301, 400])
    func wrongRegion(status: Int) throws {
        let server = try S3TestServer.shared()
        let scratch = try RemoteCLI.Scratch("s3-region")
        defer { scratch.remove() }
        try RemoteCLI.makeHome(at: scratch.path + "/home", bigMiB: 0)
        let proxy = try FaultProxy(server: server, .init(wrongRegion: "eu-west-1", regionStatus: status))
        defer { proxy.stop() }
        let through = ["AWS_ENDPOINT_URL": proxy.endpoint]
        let target = "s3://\(server.bucket)/\(S3TestServer.uniquePrefix("region"))"
        // backup lists the prefix's uploads first (GET, with an error body); verify starts with
        // a HEAD (no body: the region comes in x-amz-bucket-region only); backups lists objects.
        for arguments in [["backup", "-p", "full", "--home", scratch.path + "/home", "-o", target, "--progress", "never"],
                          ["verify", target + "a.tar.gz", "--progress", "never"],
                          ["backups", target]] {
            let result = try RemoteCLI.run(arguments, server: server, extra: through)
            #expect(result.status == 1, "\(arguments[0]): \(result.stderr)")
            let line = Self.oneLine(result)
            #expect(line?.contains("region eu-west-1") == true && line?.contains("AWS_REGION=eu-west-1") == true, "\(arguments[0]): \(result.stderr)")
        }
        #expect(proxy.log.contains { $0.hasPrefix("region \(status) on HEAD ") }, "\(proxy.log)")
        #expect(try AWSCLI.objects(server, prefix: String(target.dropFirst("s3://\(server.bucket)/".count))).isEmpty)
    }

    @Test("a missing bucket: backup, backups and restore fail with exit 64 in one line naming it; the home is untouched")
    func missingBucket() throws {
        let server = try S3TestServer.shared()
        let box = try RestoreSandbox("s3-nobucket")
        try SmallHome.restore.build(at: box.home)
        let before = try box.homeSnapshot()
        let missing = "s3://sindri-no-such-bucket-\(getpid())/"
        for arguments in [["backup", "-p", "full", "--home", box.home, "-o", missing, "--progress", "never"],
                          ["backups", missing],
                          ["restore", missing + "a.tar.gz", "--home", box.home, "--no-interactive", "--progress", "never"]] {
            let result = try RemoteCLI.run(arguments, server: server)
            #expect(result.status == 64, "\(arguments[0]): \(result.stderr)")
            let line = Self.oneLine(result)
            #expect(line?.contains("sindri-no-such-bucket-\(getpid())") == true, "\(arguments[0]): \(result.stderr)")
            #expect(line?.contains("no such bucket") == true || line?.contains("does not exist") == true, "\(arguments[0]): \(result.stderr)")
        }
        let after = try box.homeSnapshot()
        #expect(after == before, "\(after.differences(from: before))")
    }

    @Test("a backup whose upload completion is done by the server but its answer lost still succeeds, for a named key and a prefix (a conditional completion, whose retry meets 412)",
          arguments: ["named.tar.gz", ""])
    func lostCompletionAnswer(name: String) throws {
        let server = try S3TestServer.shared()
        let scratch = try RemoteCLI.Scratch("s3-lost-completion")
        defer { scratch.remove() }
        let home = scratch.path + "/home"
        // 12 MiB that do not compress: a multipart upload of several parts.
        try RemoteCLI.makeHome(at: home, bigMiB: 12)
        let prefix = S3TestServer.uniquePrefix("lost-completion")
        let proxy = try FaultProxy(server: server, .init(loseCompletionAnswers: true))
        defer { proxy.stop() }
        let backup = try RemoteCLI.run(["backup", "-p", "full", "--home", home, "-o", "s3://\(server.bucket)/\(prefix)\(name)", "--progress", "never"],
                                       server: server, extra: ["AWS_ENDPOINT_URL": proxy.endpoint])
        let injected = proxy.stop()
        #expect(backup.status == 0, "\(backup.stderr)")
        #expect(injected.contains { $0.hasPrefix("fault lost-answer on POST ") }, "\(injected)")
        let objects = try AWSCLI.objects(server, prefix: prefix).sorted()
        #expect(objects.count == 2 && objects[1] == objects[0] + ".sha256", "\(objects)")
        #expect(try AWSCLI.uploads(server, prefix: prefix).isEmpty)
        guard let archive = objects.first else { return }
        // The stored object is whole: verify reads it through and checks every member against the archive's checksums.
        let verify = try RemoteCLI.run(["verify", "s3://\(server.bucket)/\(archive)", "--progress", "never"], server: server)
        #expect(verify.status == 0, "\(verify.stderr)")
    }

    /// An archive of `makeHome(bigMiB: 12)` stored directly (no proxy): restore reads it in two
    /// ranges past its head.
    func storedArchive(_ server: S3TestServer, scratch: RemoteCLI.Scratch) throws -> (home: String, object: String) {
        let home = scratch.path + "/source"
        try RemoteCLI.makeHome(at: home, bigMiB: 12)
        let object = "s3://\(server.bucket)/\(S3TestServer.uniquePrefix("restore-faults"))ws.tar.gz"
        let backup = try RemoteCLI.run(["backup", "-p", "full", "--home", home, "-o", object, "--progress", "never"], server: server)
        #expect(backup.status == 0, "\(backup.stderr)")
        return (home, object)
    }

    @Test("a restore whose every read first fails (drop, 5xx, SlowDown, stall, truncated, short, reset) still restores the exact tree")
    func restoreThroughFaults() throws {
        let server = try S3TestServer.shared()
        let scratch = try RemoteCLI.Scratch("s3-restore-faults")
        defer { scratch.remove() }
        let (home, object) = try storedArchive(server, scratch: scratch)
        let proxy = try FaultProxy(server: server, .init(every: 1, faults: FaultProxy.allFaults))
        defer { proxy.stop() }
        let restored = scratch.path + "/restored"
        try FileManager.default.createDirectory(atPath: restored, withIntermediateDirectories: true)
        let restore = try RemoteCLI.run(["restore", object, "--home", restored, "--no-interactive", "--progress", "never"], server: server,
                                        extra: ["AWS_ENDPOINT_URL": proxy.endpoint, "SINDRI_REMOTE_READ_TIMEOUT": "3", "SINDRI_REMOTE_ATTEMPTS": "6"])
        let injected = proxy.stop()
        #expect(restore.status == 0, "\(restore.stderr)")
        #expect(injected.count >= 4, "\(injected)")
        #expect(try RemoteCLI.tree(restored) == RemoteCLI.tree(home))
    }

    @Test("a restore whose reads fail past every retry (truncated bodies) refuses before any write: exit 1, one line, the home unchanged")
    func restoreRefusesBeforeWriting() throws {
        let server = try S3TestServer.shared()
        let scratch = try RemoteCLI.Scratch("s3-restore-broken")
        defer { scratch.remove() }
        let (_, object) = try storedArchive(server, scratch: scratch)
        let box = try RestoreSandbox("s3-restore-broken")
        try SmallHome.restore.build(at: box.home)
        let before = try box.homeSnapshot()
        // The head and the first 8 MiB range come through; every range from 8 MiB on is cut.
        let proxy = try FaultProxy(server: server, .init(breakGetsFrom: 8 << 20))
        defer { proxy.stop() }
        let restore = try RemoteCLI.run(["restore", object, "--home", box.home, "--no-interactive", "--progress", "never", "--mode", "full"],
                                        server: server, extra: ["AWS_ENDPOINT_URL": proxy.endpoint, "SINDRI_REMOTE_ATTEMPTS": "3"])
        let injected = proxy.stop()
        #expect(restore.status == 1, "\(restore.stderr)")
        #expect(Self.oneLine(restore) != nil, "\(restore.stderr)")
        #expect(injected.count == 3, "one range, three tries: \(injected)")
        let after = try box.homeSnapshot()
        #expect(after == before, "\(after.differences(from: before))")
    }
}
