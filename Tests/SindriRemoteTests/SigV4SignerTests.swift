import Crypto
import Foundation
import Testing
@testable import SindriRemote

/// The signer against the published vectors: the AWS SigV4 test suite and Amazon S3's own
/// worked examples (Fixtures/sigv4-vectors.json says where each comes from).
@Suite("SigV4 signer")
struct SigV4SignerTests {
    struct Vector: Decodable, CustomTestStringConvertible {
        let name: String
        let accessKeyId: String
        let secretAccessKey: String
        let region: String
        let service: String
        let timestamp: Double
        let method: String
        let path: String
        let query: [[String]]
        let headers: [[String]]
        let body: String
        let canonicalRequest: String?
        let stringToSign: String?
        let authorization: String
        var testDescription: String { name }
    }

    struct File: Decodable {
        let vectors: [Vector]
    }

    static let vectors: [Vector] = {
        let url = Bundle.module.url(forResource: "Fixtures/sigv4-vectors", withExtension: "json")!
        return try! JSONDecoder().decode(File.self, from: Data(contentsOf: url)).vectors
    }()

    /// The vector's request as given: every header already present (x-amz-date too), so only
    /// the authorization is computed.
    private func parts(_ vector: Vector) -> (SigV4Signer, SigV4Signer.Request) {
        let signer = SigV4Signer(credentials: AWSCredentials(accessKeyId: vector.accessKeyId, secretAccessKey: vector.secretAccessKey, source: "test"),
                                 region: vector.region, service: vector.service)
        let request = SigV4Signer.Request(method: vector.method, path: vector.path, query: vector.query.map { ($0[0], $0[1]) },
                                          headers: vector.headers.map { ($0[0], $0[1]) }, payloadHash: SigV4Signer.payloadHash(Array(vector.body.utf8)))
        return (signer, request)
    }

    @Test("canonical request, string to sign and authorization match", arguments: vectors)
    func matchesVector(_ vector: Vector) {
        let (signer, request) = parts(vector)
        let canonical = signer.canonicalRequest(request)
        if let expected = vector.canonicalRequest { #expect(canonical.text == expected) }
        let stamp = SigV4Signer.timestamp(Date(timeIntervalSince1970: vector.timestamp))
        let scope = "\(stamp.prefix(8))/\(vector.region)/\(vector.service)/aws4_request"
        if let expected = vector.stringToSign {
            #expect(signer.stringToSign(canonicalRequest: canonical.text, timestamp: stamp, scope: scope) == expected)
        }
        // `sign` adds x-amz-date itself; the vectors already carry it, so drop theirs first.
        var bare = request
        bare.headers.removeAll { ["x-amz-date", "x-amz-content-sha256"].contains($0.0.lowercased()) }
        let includeHash = vector.headers.contains { $0[0].lowercased() == "x-amz-content-sha256" }
        let added = signer.sign(bare, date: Date(timeIntervalSince1970: vector.timestamp), includeContentHash: includeHash)
        #expect(added.first { $0.0 == "authorization" }?.1 == vector.authorization)
        #expect(added.first { $0.0 == "x-amz-date" }?.1 == stamp)
    }

    @Test("a session token is sent and signed; the secret never appears in what is sent")
    func sessionToken() {
        let credentials = AWSCredentials(accessKeyId: "AKID", secretAccessKey: "SECRET-never-shown", sessionToken: "TOKEN", source: "test")
        let signer = SigV4Signer(credentials: credentials, region: "us-east-1")
        let added = signer.sign(.init(method: "GET", path: "/b/k", headers: [("host", "h")], payloadHash: SigV4Signer.emptyPayloadHash),
                                date: Date(timeIntervalSince1970: 1_440_938_160))
        #expect(added.contains { $0.0 == "x-amz-security-token" && $0.1 == "TOKEN" })
        let authorization = added.first { $0.0 == "authorization" }!.1
        #expect(authorization.contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"))
        #expect(!added.contains { $0.1.contains("SECRET") })
        #expect(!"\(credentials)".contains("SECRET") && !"\(credentials)".contains("TOKEN"))
    }

    @Test("keys are encoded byte by byte, slashes kept in paths only",
          arguments: [("a b/ü+=.txt", true, "a%20b/%C3%BC%2B%3D.txt"), ("a/b", false, "a%2Fb"), ("-._~AZaz09", false, "-._~AZaz09")])
    func encoding(_ input: String, _ keepSlash: Bool, _ expected: String) {
        #expect(SigV4Signer.uriEncode(input, keepSlash: keepSlash) == expected)
    }

    @Test("header values are trimmed and inner spaces collapsed")
    func trimming() {
        #expect(SigV4Signer.trimmedHeaderValue("  a   b  c ") == "a b c")
    }
}
