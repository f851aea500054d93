import Foundation
import Testing
@testable import SindriRemote

/// The credential chain, region and endpoint, from temporary files only (never the real home).
@Suite("AWS configuration chain")
struct AWSEnvironmentTests {
    func withFiles<T>(credentials: String, config: String, _ body: (String, String) throws -> T) throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sindri-aws-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let c = directory.appendingPathComponent("credentials").path, f = directory.appendingPathComponent("config").path
        _ = FileManager.default.createFile(atPath: c, contents: Data(credentials.utf8))
        _ = FileManager.default.createFile(atPath: f, contents: Data(config.utf8))
        return try body(c, f)
    }

    @Test("environment keys win over the files")
    func environmentFirst() throws {
        let environment = AWSEnvironment(variables: ["AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK", "AWS_SESSION_TOKEN": "T",
                                                     "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "AWS_CONFIG_FILE": "/nonexistent"])
        let credentials = try environment.credentials()
        #expect(credentials.accessKeyId == "AK" && credentials.secretAccessKey == "SK" && credentials.sessionToken == "T")
        #expect(credentials.source == "the environment (AWS_ACCESS_KEY_ID)")
    }

    @Test("AWS_PROFILE selects a section of the credentials file, then of the config file; region and endpoint from the config")
    func profiles() throws {
        try withFiles(credentials: "[default]\naws_access_key_id = D\naws_secret_access_key = DS\n\n[work]\naws_access_key_id=W\naws_secret_access_key=WS\n",
                      config: "[profile work]\nregion = eu-west-3\nendpoint_url = http://127.0.0.1:9\n[profile other]\naws_access_key_id = O\naws_secret_access_key = OS\n") { (c: String, f: String) throws -> Void in
            let base = ["AWS_SHARED_CREDENTIALS_FILE": c, "AWS_CONFIG_FILE": f]
            let plain = AWSEnvironment(variables: base)
            #expect(try plain.credentials().accessKeyId == "D")
            #expect(plain.region == "us-east-1")
            let work = AWSEnvironment(variables: base.merging(["AWS_PROFILE": "work"]) { $1 })
            #expect(try work.credentials().accessKeyId == "W")
            #expect(try work.credentials().source == "profile work in \(c)")
            #expect(work.region == "eu-west-3")
            #expect(work.endpoint == "http://127.0.0.1:9")
            let other = AWSEnvironment(variables: base.merging(["AWS_PROFILE": "other", "AWS_REGION": "ap-south-1"]) { $1 })
            #expect(try other.credentials().source == "profile other in \(f)")
            #expect(other.region == "ap-south-1")
            let missing = AWSEnvironment(variables: base.merging(["AWS_PROFILE": "nope"]) { $1 })
            #expect(throws: RemoteError.self) { try missing.credentials() }
        }
    }

    @Test("custom endpoints are path-style, AWS is virtual-hosted, --s3-path-style forces it")
    func addressing() throws {
        let keys = ["AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK", "AWS_CONFIG_FILE": "/nonexistent", "AWS_REGION": "eu-central-1"]
        let aws = try S3Configuration.resolve(environment: AWSEnvironment(variables: keys))
        #expect(aws.address(bucket: "b", key: "p/k 1").base == "https://b.s3.eu-central-1.amazonaws.com")
        #expect(aws.address(bucket: "b", key: "p/k 1").path == "/p/k%201")
        #expect(aws.address(bucket: "with.dot", key: "k").path == "/with.dot/k")
        let forced = try S3Configuration.resolve(environment: AWSEnvironment(variables: keys), forcePathStyle: true)
        #expect(forced.address(bucket: "b", key: "k").base == "https://s3.eu-central-1.amazonaws.com")
        let custom = try S3Configuration.resolve(environment: AWSEnvironment(variables: keys.merging(["AWS_ENDPOINT_URL": "http://127.0.0.1:8333"]) { $1 }))
        #expect(custom.address(bucket: "b", key: "k").base == "http://127.0.0.1:8333")
        #expect(custom.address(bucket: "b", key: "k").path == "/b/k")
        let option = try S3Configuration.resolve(environment: AWSEnvironment(variables: keys.merging(["AWS_ENDPOINT_URL_S3": "http://127.0.0.1:1"]) { $1 }),
                                                 endpointOption: "https://minio.local:9000/")
        #expect(option.address(bucket: "b", key: "").host == "minio.local:9000")
        #expect(throws: RemoteError.self) { try S3Configuration.resolve(environment: AWSEnvironment(variables: keys), endpointOption: "ftp://x") }
    }

    @Test("s3:// locations", arguments: [("s3://bucket/a/b.tar.gz", "bucket", "a/b.tar.gz", false), ("s3://bucket/p/", "bucket", "p/", true),
                                        ("s3://bucket", "bucket", "", true)])
    func locations(_ text: String, _ bucket: String, _ key: String, _ isPrefix: Bool) throws {
        let location = try S3Location.parse(text)
        #expect(location.bucket == bucket && location.key == key && location.isPrefix == isPrefix)
    }

    @Test("a bad bucket name is refused")
    func badBucket() {
        #expect(throws: RemoteError.self) { try S3Location.parse("s3://a/x") }
        #expect(throws: RemoteError.self) { try S3Location.parse("s3:///x") }
    }
}
