import Crypto
import Foundation
import Testing
@testable import SindriRemote

/// The HTTPS reader against a local server with a certificate made here by openssl, trusted
/// only through `caCertificateFile` (what `--cacert`/`SSL_CERT_FILE` set), with and without
/// Range support.
@Suite("HTTPS reader", .serialized)
struct HTTPResourceTests {
    /// A running HTTPS server over a temporary directory; `stop()` ends it and removes the files.
    final class Server {
        let directory: URL
        let certificate: String
        let port: Int
        let process: Process
        let input: Pipe

        init(ranges: Bool) throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("sindri-https-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
            try FileManager.default.createDirectory(at: directory.appendingPathComponent("www"), withIntermediateDirectories: true)
            certificate = directory.appendingPathComponent("cert.pem").path
            let key = directory.appendingPathComponent("key.pem").path
            let made = try runTool(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", certificate])
            guard made.status == 0 else { throw TestServerError(message: "openssl: \(made.stderr)") }
            let script = Bundle.module.url(forResource: "Fixtures/https_server", withExtension: "py")!.path
            process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", script, directory.appendingPathComponent("www").path, certificate, key] + (ranges ? [] : ["--no-range"])
            let output = Pipe()
            input = Pipe()
            process.standardOutput = output
            process.standardInput = input
            try process.run()
            var line = Data()
            while let byte = try output.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data([10]) { line += byte }
            guard let port = Int(String(decoding: line, as: UTF8.self)) else { throw TestServerError(message: "the HTTPS server did not start") }
            self.port = port
        }

        func put(_ name: String, _ bytes: [UInt8]) {
            FileManager.default.createFile(atPath: directory.appendingPathComponent("www/\(name)").path, contents: Data(bytes))
        }

        func url(_ name: String) -> String { "https://127.0.0.1:\(port)/\(name)" }

        func stop() {
            try? input.fileHandleForWriting.close()
            process.waitUntilExit()
            try? FileManager.default.removeItem(at: directory)
        }
    }

    static let content: [UInt8] = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ ($0 >> 11)) }

    @Test("with Range: the size and range support are found, ranged GETs read the file in parallel chunks")
    func ranged() async throws {
        let server = try Server(ranges: true)
        defer { server.stop() }
        server.put("a.tar.gz", Self.content)
        let resource = try HTTPResource(url: server.url("a.tar.gz"), caCertificateFile: server.certificate)
        let probe = try await resource.probe()
        #expect(probe == .init(size: UInt64(Self.content.count), acceptsRanges: true))
        let prefetcher = RangedPrefetcher(size: probe.size!, chunkSize: 256 << 10, window: 4) { try await resource.get(range: $0) }
        var read: [UInt8] = []
        while let chunk = try await prefetcher.next() { read += chunk }
        #expect(read == Self.content)
        #expect(try await resource.get(range: 10..<20) == Array(Self.content[10..<20]))
    }

    @Test("without Range: one streaming GET reads it all")
    func streaming() async throws {
        let server = try Server(ranges: false)
        defer { server.stop() }
        server.put("a.tar.gz", Self.content)
        let resource = try HTTPResource(url: server.url("a.tar.gz"), caCertificateFile: server.certificate)
        let probe = try await resource.probe()
        #expect(probe.acceptsRanges == false)
        let stream = try await resource.stream()
        var read: [UInt8] = []
        while let chunk = try await stream.next() { read += chunk }
        #expect(read == Self.content)
        server.put("a.tar.gz.sha256", Array("abc  a.tar.gz\n".utf8))
        let sidecar = try HTTPResource(url: server.url("a.tar.gz.sha256"), caCertificateFile: server.certificate)
        #expect(try await sidecar.fetchSmall() == Array("abc  a.tar.gz\n".utf8))
        let missing = try HTTPResource(url: server.url("nothing.sha256"), caCertificateFile: server.certificate)
        #expect(try await missing.fetchSmall() == nil)
    }

    @Test("an untrusted certificate is one clear line that names --cacert")
    func untrusted() async throws {
        let server = try Server(ranges: true)
        defer { server.stop() }
        server.put("a.tar.gz", [1, 2, 3])
        let resource = try HTTPResource(url: server.url("a.tar.gz"), retry: RetryPolicy(maxAttempts: 2, baseDelay: 0.01, maxDelay: 0.01))
        let error = await #expect(throws: RemoteError.self) { _ = try await resource.probe() }
        #expect(error?.message.contains("--cacert") == true, "\(String(describing: error))")
        // Whether it was retried is not asserted by the clock: on a loaded machine one connect
        // timeout alone was seen to take over 15 s.
        #expect(error?.message.contains("\n") == false)
    }

    @Test("a missing file is 'no such file'")
    func missingFile() async throws {
        let server = try Server(ranges: true)
        defer { server.stop() }
        let resource = try HTTPResource(url: server.url("none.tar.gz"), caCertificateFile: server.certificate)
        let error = await #expect(throws: RemoteError.self) { _ = try await resource.probe() }
        #expect(error?.kind == .notFound)
    }
}
