import Crypto
import Foundation

/// AWS Signature Version 4 for header-signed requests.
///
/// Our own, because no AWS SDK is available to this package; it follows the published signing
/// process step by step (canonical request, string to sign, derived key, signature) and is
/// checked against the AWS test-suite vectors in the tests. Each request is signed with the
/// SHA-256 of its actual payload (we hash every part anyway), never `UNSIGNED-PAYLOAD`,
/// `aws-chunked` or optional `x-amz-checksum-*` trailers, which several S3-compatible servers reject.
public struct SigV4Signer: Sendable {
    /// The SHA-256 of an empty payload, the hash of every body-less request.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    public let credentials: AWSCredentials
    public let region: String
    public let service: String

    public init(credentials: AWSCredentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// One request to sign: `path` is the canonical URI, already percent-encoded; `query` holds
    /// decoded names and values (the signer encodes them); `headers` must include `host`.
    public struct Request: Sendable {
        public var method: String
        public var path: String
        public var query: [(String, String)]
        public var headers: [(String, String)]
        public var payloadHash: String

        public init(method: String, path: String, query: [(String, String)] = [], headers: [(String, String)], payloadHash: String) {
            self.method = method
            self.path = path
            self.query = query
            self.headers = headers
            self.payloadHash = payloadHash
        }
    }

    /// The headers to add to `request` (`x-amz-date`, the session token when there is one, and
    /// `authorization`); `x-amz-content-sha256` is added too when `includeContentHash` (S3 needs it).
    public func sign(_ request: Request, date: Date, includeContentHash: Bool = true) -> [(String, String)] {
        let stamp = Self.timestamp(date)
        var signed = request
        var added: [(String, String)] = [("x-amz-date", stamp)]
        if includeContentHash { added.append(("x-amz-content-sha256", request.payloadHash)) }
        if let token = credentials.sessionToken { added.append(("x-amz-security-token", token)) }
        signed.headers += added
        let canonical = canonicalRequest(signed)
        let scope = "\(stamp.prefix(8))/\(region)/\(service)/aws4_request"
        let toSign = stringToSign(canonicalRequest: canonical.text, timestamp: stamp, scope: scope)
        let signature = Self.hex(HMAC<SHA256>.authenticationCode(for: Array(toSign.utf8), using: signingKey(day: String(stamp.prefix(8)))))
        let authorization = "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyId)/\(scope), SignedHeaders=\(canonical.signedHeaders), Signature=\(signature)"
        return added + [("authorization", authorization)]
    }

    /// The canonical request and its `SignedHeaders` list.
    public func canonicalRequest(_ request: Request) -> (text: String, signedHeaders: String) {
        var byName: [String: [String]] = [:]
        for (name, value) in request.headers {
            byName[name.lowercased(), default: []].append(Self.trimmedHeaderValue(value))
        }
        let names = byName.keys.sorted()
        let headerLines = names.map { "\($0):\(byName[$0]!.joined(separator: ","))\n" }.joined()
        let signedHeaders = names.joined(separator: ";")
        let query = Self.canonicalQuery(request.query)
        let parts: [String] = [request.method, request.path, query, headerLines, signedHeaders, request.payloadHash]
        let text = parts.joined(separator: "\n")
        return (text, signedHeaders)
    }

    /// `name=value` pairs, each encoded, sorted by name then value, joined by `&`: the
    /// canonical query string, and also the query we send (so both are the same bytes).
    public static func canonicalQuery(_ query: [(String, String)]) -> String {
        var pairs: [(String, String)] = query.map { (uriEncode($0.0, keepSlash: false), uriEncode($0.1, keepSlash: false)) }
        pairs.sort { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }
        return pairs.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    /// The string to sign for a canonical request.
    public func stringToSign(canonicalRequest: String, timestamp: String, scope: String) -> String {
        let hash = Self.hex(SHA256.hash(data: Array(canonicalRequest.utf8)))
        return "AWS4-HMAC-SHA256\n\(timestamp)\n\(scope)\n\(hash)"
    }

    private func signingKey(day: String) -> SymmetricKey {
        func mac(_ key: SymmetricKey, _ text: String) -> SymmetricKey {
            SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: key)))
        }
        let secret = SymmetricKey(data: Array(("AWS4" + credentials.secretAccessKey).utf8))
        return mac(mac(mac(mac(secret, day), region), service), "aws4_request")
    }

    /// `YYYYMMDDTHHMMSSZ` in UTC.
    public static func timestamp(_ date: Date) -> String {
        var time = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&time, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)\(two(parts.tm_mon + 1))\(two(parts.tm_mday))T\(two(parts.tm_hour))\(two(parts.tm_min))\(two(parts.tm_sec))Z"
    }

    /// RFC 3986 encoding as SigV4 wants it: unreserved characters stay, every other byte of the
    /// UTF-8 is `%XX` in upper case; `/` stays in paths (`keepSlash`).
    public static func uriEncode(_ text: String, keepSlash: Bool) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "/") where keepSlash:
                out.append("/")
            default:
                let digits = Array("0123456789ABCDEF".utf8)
                out.unicodeScalars.append("%")
                out.unicodeScalars.append(Unicode.Scalar(digits[Int(byte >> 4)]))
                out.unicodeScalars.append(Unicode.Scalar(digits[Int(byte & 0xF)]))
            }
        }
        return out
    }

    /// Leading and trailing blanks removed, inner runs of spaces collapsed to one.
    static func trimmedHeaderValue(_ value: String) -> String {
        var out = ""
        var lastWasSpace = false
        for character in value.trimmingCharacters(in: .whitespaces) {
            if character == " " {
                if lastWasSpace { continue }
                lastWasSpace = true
            } else {
                lastWasSpace = false
            }
            out.append(character)
        }
        return out
    }

    /// Lower-case hex of a digest or MAC.
    public static func hex<D: Sequence>(_ bytes: D) -> String where D.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Hex SHA-256 of a payload.
    public static func payloadHash<B: ContiguousBytes>(_ bytes: B) -> String {
        bytes.withUnsafeBytes { hex(SHA256.hash(data: $0)) }
    }
}
