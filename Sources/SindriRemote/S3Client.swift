import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1

/// An object in a listing.
public struct S3Object: Sendable, Equatable {
    public let key: String
    public let size: UInt64
    public let lastModified: String
    public let etag: String?
}

/// An unfinished multipart upload in a listing.
public struct S3MultipartUpload: Sendable, Equatable {
    public let key: String
    public let uploadId: String
    /// ISO 8601, as the server wrote it.
    public let initiated: String
}

/// What `HEAD` says about an object.
public struct S3ObjectInfo: Sendable, Equatable {
    public let size: UInt64
    public let etag: String?
    public let lastModified: String?
}

/// The S3 operations a backup needs, over async-http-client, each signed with SigV4 over the
/// SHA-256 of its payload and retried on transient failures (see `RetryPolicy`).
///
/// Parallel parts and ranges share one connection pool, kept for the process (see
/// `RemoteHTTP.makeClient`).
public final class S3Client: Sendable {
    public let configuration: S3Configuration
    let http: HTTPClient
    let signer: SigV4Signer

    public init(configuration: S3Configuration, connections: Int = 16) throws {
        self.configuration = configuration
        self.signer = SigV4Signer(credentials: configuration.credentials, region: configuration.region)
        self.http = try RemoteHTTP.makeClient(caCertificateFile: configuration.caCertificateFile,
                                              readTimeoutSeconds: configuration.readTimeoutSeconds, connections: connections)
    }


    // MARK: Objects

    /// Stores `body` at `location` in one request (small objects: the `.sha256` sidecar).
    /// With `ifNoneMatch`, the server refuses (412) when an object already exists at the key,
    /// on the servers that implement conditional writes.
    public func putObject(_ location: S3Location, body: [UInt8], contentType: String = "application/octet-stream", ifNoneMatch: Bool = false) async throws {
        var headers = [("content-type", contentType)]
        if ifNoneMatch { headers.append(("if-none-match", "*")) }
        _ = try await send("PUT", location, body: body, headers: headers, what: "upload of \(location)")
    }

    /// Size, ETag and date of the object, or nil when there is none.
    public func headObject(_ location: S3Location) async throws -> S3ObjectInfo? {
        do {
            let answer = try await send("HEAD", location, what: "\(location)")
            return S3ObjectInfo(size: answer.headers.first(name: "content-length").flatMap { UInt64($0) } ?? 0,
                                etag: answer.headers.first(name: "etag"), lastModified: answer.headers.first(name: "last-modified"))
        } catch let error as RemoteError where error.kind == .notFound && error.code != "NoSuchBucket" {
            return nil
        }
    }

    /// Bytes `range` of the object (the whole object when nil). A body shorter than asked for
    /// (a dropped connection the server did not report) is retried like any transient failure.
    public func getObject(_ location: S3Location, range: Range<UInt64>? = nil) async throws -> [UInt8] {
        var headers: [(String, String)] = []
        if let range {
            guard !range.isEmpty else { return [] }
            headers.append(("range", "bytes=\(range.lowerBound)-\(range.upperBound - 1)"))
        }
        let answer = try await send("GET", location, headers: headers, what: "download of \(location)",
                                    expectedLength: range.map { Int($0.count) })
        return answer.body
    }

    /// Removes the object (no error when there is none, as S3 does).
    public func deleteObject(_ location: S3Location) async throws {
        _ = try await send("DELETE", location, what: "removal of \(location)")
    }

    /// Every object under `prefix` (ListObjectsV2, following continuation tokens).
    public func listObjects(bucket: String, prefix: String) async throws -> [S3Object] {
        var objects: [S3Object] = []
        var token: String?
        repeat {
            var query: [(String, String)] = [("list-type", "2"), ("prefix", prefix)]
            if let token { query.append(("continuation-token", token)) }
            let answer = try await send("GET", S3Location(bucket: bucket, key: ""), query: query, what: "listing of s3://\(bucket)/\(prefix)")
            let xml = String(decoding: answer.body, as: UTF8.self)
            for block in S3XML.blocks("Contents", in: xml) {
                guard let key = S3XML.first("Key", in: block) else { continue }
                objects.append(S3Object(key: key, size: S3XML.first("Size", in: block).flatMap { UInt64($0) } ?? 0,
                                        lastModified: S3XML.first("LastModified", in: block) ?? "",
                                        etag: S3XML.first("ETag", in: block)))
            }
            token = S3XML.first("IsTruncated", in: xml) == "true" ? S3XML.first("NextContinuationToken", in: xml) : nil
        } while token != nil
        return objects
    }

    // MARK: Multipart

    /// Starts a multipart upload; nothing appears at the key until it is completed.
    public func createMultipartUpload(_ location: S3Location, contentType: String = "application/gzip") async throws -> String {
        let answer = try await send("POST", location, query: [("uploads", "")], headers: [("content-type", contentType)],
                                    what: "start of the upload to \(location)")
        guard let id = S3XML.first("UploadId", in: String(decoding: answer.body, as: UTF8.self)), !id.isEmpty else {
            throw RemoteError(.protocolError, "start of the upload to \(location): the server gave no upload id")
        }
        return id
    }

    /// Uploads part `number` (1-based); returns its ETag for the completion.
    public func uploadPart(_ location: S3Location, uploadId: String, number: Int, body: [UInt8]) async throws -> String {
        let answer = try await send("PUT", location, query: [("partNumber", String(number)), ("uploadId", uploadId)],
                                    body: body, what: "upload of part \(number) of \(location)")
        guard let etag = answer.headers.first(name: "etag") else {
            throw RemoteError(.protocolError, "upload of part \(number) of \(location): the server gave no ETag")
        }
        return etag
    }

    /// Uploads part `number` from a body too large to hold (a spooled part), re-read on each
    /// try; returns its ETag.
    public func uploadPart(_ location: S3Location, uploadId: String, number: Int, body: ReplayableBody) async throws -> String {
        let answer = try await send("PUT", location, query: [("partNumber", String(number)), ("uploadId", uploadId)],
                                    replayable: body, what: "upload of part \(number) of \(location)")
        guard let etag = answer.headers.first(name: "etag") else {
            throw RemoteError(.protocolError, "upload of part \(number) of \(location): the server gave no ETag")
        }
        return etag
    }

    /// Makes the object appear at the key, atomically, from the parts in order.
    public func completeMultipartUpload(_ location: S3Location, uploadId: String, parts: [(number: Int, etag: String)], ifNoneMatch: Bool = false) async throws {
        var xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for part in parts.sorted(by: { $0.number < $1.number }) {
            xml += "<Part><PartNumber>\(part.number)</PartNumber><ETag>\(S3XML.escape(part.etag))</ETag></Part>"
        }
        xml += "</CompleteMultipartUpload>"
        var headers = [("content-type", "application/xml")]
        if ifNoneMatch { headers.append(("if-none-match", "*")) }
        let answer: Answer
        do {
            answer = try await send("POST", location, query: [("uploadId", uploadId)], body: Array(xml.utf8),
                                    headers: headers, what: "completion of the upload to \(location)")
        } catch let error as RemoteError where error.code == "NoSuchUpload" || error.status == 412 {
            // A completion is not idempotent: when the server completed it but its answer was
            // lost (a reset, a timeout), the retry finds the upload gone (NoSuchUpload) or, for
            // a conditional completion, the object now there (412). The object is ours exactly
            // when its ETag is the one S3 gives these parts; anything else is the real error.
            if try await holdsCompletedUpload(location, parts: parts) { return }
            throw error
        }
        // S3 may answer 200 and still report an error in the body (it started streaming
        // whitespace before the error happened).
        let text = String(decoding: answer.body, as: UTF8.self)
        if text.contains("<Error>") {
            let code = S3XML.first("Code", in: text) ?? "unknown"
            throw RemoteError(.transport, "completion of the upload to \(location) failed: \(code)", status: 200, code: code)
        }
    }

    /// Whether the object at `location` is the completion of exactly these parts: its ETag is
    /// the MD5 of the parts' binary MD5s followed by `-` and their count, as S3 (and every
    /// compatible server we know) computes it. False when a part's ETag is no MD5 (an
    /// encrypting server), since nothing then proves the object is ours.
    func holdsCompletedUpload(_ location: S3Location, parts: [(number: Int, etag: String)]) async throws -> Bool {
        guard let expected = Self.multipartETag(parts.sorted(by: { $0.number < $1.number }).map(\.etag)),
              let info = try await headObject(location), let etag = info.etag else { return false }
        return Self.bareETag(etag) == expected
    }

    /// An ETag as compared here: without the quotes the header carries, lower-case.
    static func bareETag(_ etag: String) -> String {
        etag.trimmingCharacters(in: CharacterSet(charactersIn: "\"")).lowercased()
    }

    /// S3's ETag of a multipart object made of parts with these ETags, or nil when one of them
    /// is not a hex MD5.
    static func multipartETag(_ partETags: [String]) -> String? {
        var digests: [UInt8] = []
        for etag in partETags {
            let hex = Array(bareETag(etag).utf8)
            guard hex.count == 32 else { return nil }
            for index in stride(from: 0, to: 32, by: 2) {
                guard let byte = UInt8(String(decoding: hex[index..<index + 2], as: UTF8.self), radix: 16) else { return nil }
                digests.append(byte)
            }
        }
        let digest = Insecure.MD5.hash(data: digests)
        return digest.map { String(format: "%02x", $0) }.joined() + "-\(partETags.count)"
    }

    /// Abandons an upload and frees its parts (no error when it is already gone).
    public func abortMultipartUpload(_ location: S3Location, uploadId: String) async throws {
        do {
            _ = try await send("DELETE", location, query: [("uploadId", uploadId)], what: "abort of the upload to \(location)")
        } catch let error as RemoteError where error.code == "NoSuchUpload" {
            return
        }
    }

    /// When the upload last showed signs of life: its newest part's date, or its start when it
    /// has no part yet (ISO 8601 strings compare in time order).
    public func lastActivity(of upload: S3MultipartUpload, bucket: String) async throws -> String {
        let location = S3Location(bucket: bucket, key: upload.key)
        var newest = upload.initiated
        var marker: String?
        repeat {
            var query: [(String, String)] = [("uploadId", upload.uploadId)]
            if let marker { query.append(("part-number-marker", marker)) }
            let answer = try await send("GET", location, query: query, what: "listing of the parts of the upload to \(location)")
            let xml = String(decoding: answer.body, as: UTF8.self)
            for date in S3XML.blocks("Part", in: xml).compactMap({ S3XML.first("LastModified", in: $0) }) where date > newest {
                newest = date
            }
            marker = S3XML.first("IsTruncated", in: xml) == "true" ? S3XML.first("NextPartNumberMarker", in: xml) : nil
        } while marker != nil
        return newest
    }

    /// The unfinished multipart uploads under `prefix`.
    public func listMultipartUploads(bucket: String, prefix: String) async throws -> [S3MultipartUpload] {
        var uploads: [S3MultipartUpload] = []
        var keyMarker: String?
        var uploadMarker: String?
        repeat {
            var query: [(String, String)] = [("uploads", ""), ("prefix", prefix)]
            if let keyMarker { query.append(("key-marker", keyMarker)) }
            if let uploadMarker { query.append(("upload-id-marker", uploadMarker)) }
            let answer = try await send("GET", S3Location(bucket: bucket, key: ""), query: query,
                                        what: "listing of the uploads under s3://\(bucket)/\(prefix)")
            let xml = String(decoding: answer.body, as: UTF8.self)
            for block in S3XML.blocks("Upload", in: xml) {
                guard let key = S3XML.first("Key", in: block), let id = S3XML.first("UploadId", in: block) else { continue }
                uploads.append(S3MultipartUpload(key: key, uploadId: id, initiated: S3XML.first("Initiated", in: block) ?? ""))
            }
            if S3XML.first("IsTruncated", in: xml) == "true" {
                keyMarker = S3XML.first("NextKeyMarker", in: xml)
                uploadMarker = S3XML.first("NextUploadIdMarker", in: xml)
                if keyMarker == nil { break }
            } else {
                keyMarker = nil
            }
        } while keyMarker != nil
        return uploads
    }

    // MARK: One request

    struct Answer: Sendable {
        let status: Int
        let headers: HTTPHeaders
        let body: [UInt8]
    }

    /// Signs and sends one request, retrying transient failures; a final failure is a
    /// `RemoteError` in user words.
    func send(_ method: String, _ location: S3Location, query: [(String, String)] = [], body: [UInt8] = [],
              replayable: ReplayableBody? = nil, headers extra: [(String, String)] = [], what: String,
              expectedLength: Int? = nil) async throws -> Answer {
        let payloadHash = replayable?.sha256Hex ?? (body.isEmpty ? SigV4Signer.emptyPayloadHash : SigV4Signer.payloadHash(body))
        let address = configuration.address(bucket: location.bucket, key: location.key)
        let queryString = SigV4Signer.canonicalQuery(query)
        let url = address.base + address.path + (queryString.isEmpty ? "" : "?" + queryString)
        let bodyBuffer = body.isEmpty ? nil : ByteBuffer(bytes: body)
        let host = configuration.endpointDescription
        return try await configuration.retry.run {
            do {
                // Signed anew on each try: the date must be current, and S3 rejects a signature
                // more than 15 minutes old.
                var signable = SigV4Signer.Request(method: method, path: address.path, query: query,
                                                   headers: [("host", address.host)] + extra, payloadHash: payloadHash)
                signable.headers += signer.sign(signable, date: Date())
                var request = HTTPClientRequest(url: url)
                request.method = HTTPMethod(rawValue: method)
                for (name, value) in signable.headers { request.headers.add(name: name, value: value) }
                if let replayable {
                    request.body = replayable.requestBody
                } else if let bodyBuffer {
                    request.body = .bytes(bodyBuffer)
                } else if method == "PUT" || method == "POST" {
                    request.headers.add(name: "content-length", value: "0")
                }
                let response = try await http.execute(request, timeout: .seconds(max(300, configuration.readTimeoutSeconds * 4)))
                let status = Int(response.status.code)
                let limit = status < 300 ? max(expectedLength ?? (64 << 20), 1) + 1 : 1 << 20
                let bytes: [UInt8]
                if method == "HEAD" {
                    bytes = []
                } else {
                    bytes = try await RemoteHTTP.body(of: response, expected: status < 300 ? expectedLength : nil, limit: limit)
                }
                if status >= 200 && status < 300 {
                    if expectedLength == nil, bytes.count == limit {
                        throw RemoteError(.protocolError, "\(what): the answer is larger than the \(limit - 1) bytes expected")
                    }
                    if let expectedLength, bytes.count != expectedLength {
                        throw RetryableFailure(RemoteError(.transport, "\(what): the server sent \(bytes.count) bytes instead of \(expectedLength)"))
                    }
                    return Answer(status: status, headers: response.headers, body: bytes)
                }
                throw failure(status: status, headers: response.headers, body: bytes, method: method, location: location, what: what)
            } catch {
                throw RemoteHTTP.classify(error, what: what, host: host)
            }
        }
    }

    /// The user's one line for an S3 error answer, or a retryable failure.
    func failure(status: Int, headers: HTTPHeaders, body: [UInt8], method: String, location: S3Location, what: String) -> Error {
        let xml = String(decoding: body, as: UTF8.self)
        let code = S3XML.first("Code", in: xml)
        if RemoteHTTP.isRetryable(status: status, code: code) {
            return RetryableFailure(RemoteError(.transport, "\(what): the server answered \(status)\(code.map { " \($0)" } ?? "") on every try",
                                                status: status, code: code))
        }
        let region = headers.first(name: "x-amz-bucket-region") ?? S3XML.first("Region", in: xml)
        // A HEAD has no body: AWS answers it 301 or 400 with only the bucket's region in
        // x-amz-bucket-region.
        let bodyless = method == "HEAD" && code == nil && (status == 400 || status == 301)
        if status == 301 || bodyless || code == "PermanentRedirect" || code == "AuthorizationHeaderMalformed" || code == "IllegalLocationConstraintException",
           let region, region != configuration.region {
            return RemoteError(.wrongRegion, "bucket \(location.bucket) is in region \(region), not \(configuration.region): set AWS_REGION=\(region)",
                               status: status, code: code)
        }
        switch (status, code) {
        case (403, _), (401, _):
            let reason: String
            switch code {
            case "SignatureDoesNotMatch": reason = "SignatureDoesNotMatch: the secret key does not match the access key"
            case "InvalidAccessKeyId": reason = "InvalidAccessKeyId: the server does not know this access key"
            case "ExpiredToken", "TokenRefreshRequired": reason = "\(code!): the session token has expired"
            case "RequestTimeTooSkewed": reason = "RequestTimeTooSkewed: this machine's clock is too far from the server's"
            case let code?: reason = "\(code)"
            case nil: reason = "access denied"
            }
            return RemoteError(.credentials, "\(what): \(reason) (\(status), using \(configuration.credentials.description))",
                               status: status, code: code)
        case (404, "NoSuchBucket"):
            return RemoteError(.notFound, "no such bucket: \(location.bucket) at \(configuration.endpointDescription)", status: status, code: code)
        case (404, "NoSuchUpload"):
            return RemoteError(.notFound, "\(what): the upload no longer exists", status: status, code: code)
        case (404, _):
            return RemoteError(.notFound, location.key.isEmpty ? "no such bucket: \(location.bucket) at \(configuration.endpointDescription)"
                                                               : "no such object: \(location)", status: status, code: code)
        case (301, _), (307, _):
            return RemoteError(.wrongRegion, "bucket \(location.bucket) is not served by \(configuration.endpointDescription) (\(status) redirect); set AWS_REGION or --s3-endpoint",
                               status: status, code: code)
        case (412, _):
            return RemoteError(.conflict, "\(what): an object appeared at \(location) meanwhile; it was left as it is", status: status, code: code)
        case (416, _):
            return RemoteError(.protocolError, "\(what): the range asked for is past the end of the object", status: status, code: code)
        default:
            return RemoteError(.protocolError, "\(what): the server answered \(status)\(code.map { " \($0)" } ?? "")", status: status, code: code)
        }
    }
}
