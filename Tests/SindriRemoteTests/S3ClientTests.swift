import Crypto
import Foundation
import Testing
@testable import SindriRemote

/// The S3 client against a real server that checks signatures (SeaweedFS on 127.0.0.1), and
/// read back or written by the AWS CLI, which nobody here wrote.
@Suite("S3 client against SeaweedFS", .enabled(if: S3TestServer.isAvailable, S3TestServer.skipReason), .serialized)
struct S3ClientTests {
    /// Runs `body` with a client for the test server.
    func withClient<T>(secret: String? = nil, _ body: (S3Client, S3TestServer) async throws -> T) async throws -> T {
        let server = try S3TestServer.shared()
        return try await body(try S3Client(configuration: try server.configuration(secret: secret)), server)
    }

    static func pattern(_ count: Int, seed: UInt8) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed) &+ ($0 >> 13)) }
    }

    @Test("a signed PUT, HEAD, GET, ranged GET, LIST and DELETE are accepted")
    func objectRoundTrip() async throws {
        try await withClient { client, server in
            let prefix = S3TestServer.uniquePrefix("object")
            let location = S3Location(bucket: server.bucket, key: prefix + "odd name +ü=.bin")
            let body = Self.pattern(100_000, seed: 7)
            try await client.putObject(location, body: body)
            let info = try await client.headObject(location)
            #expect(info?.size == 100_000)
            #expect(try await client.getObject(location) == body)
            #expect(try await client.getObject(location, range: 1000..<1010) == Array(body[1000..<1010]))
            let listed = try await client.listObjects(bucket: server.bucket, prefix: prefix)
            #expect(listed.map(\.key) == [location.key])
            #expect(listed.first?.size == 100_000)
            try await client.deleteObject(location)
            #expect(try await client.headObject(location) == nil)
        }
    }

    @Test("a wrong secret is SignatureDoesNotMatch in one line naming the credential source, never the secret")
    func wrongSecret() async throws {
        try await withClient(secret: "not-the-secret-xyz") { client, server in
            let error = await #expect(throws: RemoteError.self) {
                try await client.putObject(S3Location(bucket: server.bucket, key: "tests/never"), body: [1, 2, 3])
            }
            #expect(error?.kind == .credentials)
            #expect(error?.message.contains("SignatureDoesNotMatch") == true)
            #expect(error?.message.contains("the environment (AWS_ACCESS_KEY_ID)") == true)
            #expect(error?.message.contains("not-the-secret-xyz") == false)
            #expect(error?.message.contains("\n") == false)
        }
    }

    @Test("a missing bucket and a missing key are 'no such' errors")
    func missing() async throws {
        try await withClient { client, server in
            let error = await #expect(throws: RemoteError.self) {
                _ = try await client.getObject(S3Location(bucket: "sindri-no-such-bucket", key: "x"))
            }
            #expect(error?.kind == .notFound)
            let listError = await #expect(throws: RemoteError.self) {
                _ = try await client.listObjects(bucket: "sindri-no-such-bucket", prefix: "")
            }
            #expect(listError?.message.hasPrefix("no such bucket: sindri-no-such-bucket") == true)
            let keyError = await #expect(throws: RemoteError.self) {
                _ = try await client.getObject(S3Location(bucket: server.bucket, key: "tests/no-such-key"))
            }
            #expect(keyError?.message == "no such object: s3://\(server.bucket)/tests/no-such-key")
        }
    }

    @Test("multipart: parts in any order complete into the object; abort leaves nothing")
    func multipart() async throws {
        try await withClient { client, server in
            let prefix = S3TestServer.uniquePrefix("multipart")
            let location = S3Location(bucket: server.bucket, key: prefix + "archive.tar.gz")
            let parts = [Self.pattern(5 << 20, seed: 1), Self.pattern(5 << 20, seed: 2), Self.pattern(12345, seed: 3)]
            let id = try await client.createMultipartUpload(location)
            #expect(try await client.listMultipartUploads(bucket: server.bucket, prefix: prefix).map(\.uploadId) == [id])
            // The first part last, as the backup does.
            var etags: [(number: Int, etag: String)] = []
            for number in [2, 3, 1] {
                etags.append((number, try await client.uploadPart(location, uploadId: id, number: number, body: parts[number - 1])))
            }
            #expect(try await client.headObject(location) == nil)
            try await client.completeMultipartUpload(location, uploadId: id, parts: etags)
            let whole = parts.flatMap { $0 }
            #expect(try await client.headObject(location)?.size == UInt64(whole.count))
            let middle = UInt64(5 << 20) - 100..<UInt64(5 << 20) + 100
            #expect(try await client.getObject(location, range: middle) == Array(whole[Int(middle.lowerBound)..<Int(middle.upperBound)]))
            #expect(SHA256.hash(data: try await client.getObject(location)) == SHA256.hash(data: whole))
            #expect(try await client.listMultipartUploads(bucket: server.bucket, prefix: prefix).isEmpty)

            let abandoned = S3Location(bucket: server.bucket, key: prefix + "abandoned.tar.gz")
            let second = try await client.createMultipartUpload(abandoned)
            _ = try await client.uploadPart(abandoned, uploadId: second, number: 1, body: parts[0])
            try await client.abortMultipartUpload(abandoned, uploadId: second)
            #expect(try await client.listMultipartUploads(bucket: server.bucket, prefix: prefix).isEmpty)
            #expect(try await client.headObject(abandoned) == nil)
            // Aborting twice is not an error (a retried abort after a dropped answer).
            try await client.abortMultipartUpload(abandoned, uploadId: second)
        }
    }

    @Test("interop: what aws s3 cp uploads we read, and what we upload aws s3 cp reads")
    func awsCLIInterop() async throws {
        try await withClient { client, server in
            let prefix = S3TestServer.uniquePrefix("interop")
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sindri-interop-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            // 20 MiB: the CLI uploads it in multipart too (its threshold is 8 MiB).
            let theirs = Self.pattern(20 << 20, seed: 9)
            let theirsPath = directory.appendingPathComponent("theirs.bin").path
            FileManager.default.createFile(atPath: theirsPath, contents: Data(theirs))
            let upload = try runTool(["aws", "s3", "cp", theirsPath, "s3://\(server.bucket)/\(prefix)theirs.bin"], environment: server.environment())
            #expect(upload.status == 0, "\(upload.stderr)")
            let read = try await client.getObject(S3Location(bucket: server.bucket, key: prefix + "theirs.bin"))
            #expect(SHA256.hash(data: read) == SHA256.hash(data: theirs))

            let ours = S3Location(bucket: server.bucket, key: prefix + "ours.bin")
            let id = try await client.createMultipartUpload(ours)
            let a = Self.pattern(6 << 20, seed: 4), b = Self.pattern(1000, seed: 5)
            let e1 = try await client.uploadPart(ours, uploadId: id, number: 1, body: a)
            let e2 = try await client.uploadPart(ours, uploadId: id, number: 2, body: b)
            try await client.completeMultipartUpload(ours, uploadId: id, parts: [(1, e1), (2, e2)])
            let download = try runTool(["aws", "s3", "cp", "s3://\(server.bucket)/\(ours.key)", "-"], environment: server.environment())
            #expect(download.status == 0, "\(download.stderr)")
            #expect(SHA256.hash(data: download.stdout) == SHA256.hash(data: a + b))
        }
    }
}

/// The client through a proxy that gives every request one fault of every kind object storage
/// has (its first try only; see `FaultProxy`): each operation still succeeds by its retries
/// (per part and per range), or fails cleanly when the server never recovers.
@Suite("S3 client through injected faults", .enabled(if: S3TestServer.isAvailable, S3TestServer.skipReason), .serialized)
struct S3FaultTests {
    @Test("multipart upload, ranged and whole GETs, listing: all succeed through drops, 5xx, SlowDown, stalls, truncated, short and reset bodies")
    func survivesFaults() async throws {
        let server = try S3TestServer.shared()
        // Every request's first try fails (the schedule counts requests, so the load changes
        // nothing); 6 tries leave room for read timeouts the load alone may cause besides. The
        // read timeout is what a stall costs, and also how long an answer may take: in the full
        // suite on two loaded cores, 3 s was exceeded by six tries in a row of one whole GET.
        let proxy = try FaultProxy(server: server, .init(every: 1, faults: FaultProxy.allFaults))
        defer { proxy.stop() }
        let client = try S3Client(configuration: try server.configuration(
            endpoint: proxy.endpoint, retry: RetryPolicy(maxAttempts: 6, baseDelay: 0.02, maxDelay: 0.2), readTimeout: 20))
        let prefix = S3TestServer.uniquePrefix("faults")
        let location = S3Location(bucket: server.bucket, key: prefix + "a.tar.gz")
        let parts = [S3ClientTests.pattern(5 << 20, seed: 11), S3ClientTests.pattern(5 << 20, seed: 12), S3ClientTests.pattern(777, seed: 13)]
        let id = try await client.createMultipartUpload(location)
        var etags: [(number: Int, etag: String)] = []
        try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for (index, part) in parts.enumerated() {
                group.addTask { (index + 1, try await client.uploadPart(location, uploadId: id, number: index + 1, body: part)) }
            }
            for try await etag in group { etags.append(etag) }
        }
        try await client.completeMultipartUpload(location, uploadId: id, parts: etags)
        let whole = parts.flatMap { $0 }
        let prefetcher = RangedPrefetcher(size: UInt64(whole.count), chunkSize: 1 << 20, window: 4) { try await client.getObject(location, range: $0) }
        var read: [UInt8] = []
        while let chunk = try await prefetcher.next() { read += chunk }
        #expect(read == whole)
        #expect(try await client.getObject(location) == whole)
        #expect(try await client.listObjects(bucket: server.bucket, prefix: prefix).map(\.key) == [location.key])
        #expect(try await client.listMultipartUploads(bucket: server.bucket, prefix: prefix).isEmpty)
        let injected = proxy.stop()
        // Every kind of fault was actually met.
        for kind in FaultProxy.allFaults {
            #expect(injected.contains { $0.hasPrefix("fault \(kind) ") }, "no \(kind) fault was injected: \(injected)")
        }
    }

    @Test("when every try fails, the error says so in one line")
    func givesUp() async throws {
        let server = try S3TestServer.shared()
        let proxy = try FaultProxy(server: server, .init(always: "slowdown"))
        defer { proxy.stop() }
        let configuration = try server.configuration(endpoint: proxy.endpoint, retry: RetryPolicy(maxAttempts: 3, baseDelay: 0.01, maxDelay: 0.02))
        let client = try S3Client(configuration: configuration)
        let error = await #expect(throws: RemoteError.self) {
            try await client.putObject(S3Location(bucket: server.bucket, key: "tests/never-stored"), body: [1])
        }
        #expect(error?.message.contains("503 SlowDown on every try") == true)
        #expect(error?.message.contains("\n") == false)
        #expect(proxy.stop().count == 3)
    }
}
