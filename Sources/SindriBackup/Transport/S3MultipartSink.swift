import Crypto
import Foundation
import SindriRemote
import SindriSystem

/// An archive streamed into an S3 object by multipart upload, as the backup writes it.
///
/// Design, and why:
/// - **The first part is held and uploaded last.** The archive's first member, the manifest,
///   is written with placeholder figures and rewritten in place when the archive is complete
///   (its checksum, size and duration are only known then), as for a file. A part once
///   uploaded cannot be patched, so the first `firstPartSize` bytes stay in memory until the
///   end; then the final manifest is written over them and they go up as part 1. Every other
///   part is uploaded as soon as it is full, while compression goes on. (Re-uploading part 1
///   would work too, but would send those bytes twice.)
/// - **Bounded memory.** At most `maxInFlight` parts are uploading at once; a full part waits
///   for a free slot, which holds back the writer and so the compressors. Memory is about
///   `firstPartSize + (maxInFlight + 1) * partSize` (under 256 MiB as sized by `sizing`).
/// - **Part size fits the 10,000-part limit.** `expectSize` (the walk's figures, an upper
///   bound of the compressed size) picks the part size so the archive fits in 9,000 parts.
/// - **Nothing at the key until the end.** Only `CompleteMultipartUpload` makes the object
///   appear, atomically; an object already at the key stays whole until then. Any failure,
///   cancellation or signal aborts the upload (`abort()`), so no parts are left behind; a
///   killed process's upload is aborted by the next backup to that prefix or by
///   `sindri prune-uploads` (see `S3UploadJanitor`).
/// - **Whole-object checksum by reading back.** The `.sha256` sidecar covers the object's
///   bytes in order, manifest first; since the manifest is final only at the end, the hash is
///   taken by reading the completed object back with parallel ranged GETs (as a local backup
///   reads its file back), which also proves what the server stores.
///
/// `@unchecked Sendable`: the sink's state is only touched by the engine's I/O thread, one call
/// at a time (the `ArchiveSink` contract); the part uploads run in detached tasks that share
/// nothing with it but their own copy of the part, and hand back their ETag through the task's
/// value.
final class S3MultipartSink: ArchiveSink, @unchecked Sendable {
    let client: S3Client
    /// Where the object goes (for an automatic name, the name chosen, free when checked).
    let object: S3Location
    let automaticName: Bool
    private(set) var bytesWritten: UInt64 = 0
    private(set) var notes: [String] = []

    var location: String? { object.description }
    var canReplaceStart: Bool { true }
    var identity: FileIdentity? { nil }

    private let firstPartSize: Int
    private var partSize: Int
    private var maxInFlight: Int
    private var firstPart: [UInt8] = []
    private var current: [UInt8] = []
    private var nextPartNumber = 2
    private var uploadId: String?
    private var inFlight: [Task<(Int, String), Error>] = []
    private var etags: [(number: Int, etag: String)] = []
    private var dataHasher = SHA256()
    private var finished = false
    private var completed = false

    /// Part size and parallelism for an archive of at most `expectedBytes`.
    static func sizing(expectedBytes: UInt64) -> (partSize: Int, maxInFlight: Int) {
        let mib = 1 << 20
        let needed = Int((expectedBytes / 9_000) + 1)
        let partSize = max(16 * mib, (needed + mib - 1) / mib * mib)
        let budget = 224 * mib - 8 * mib - 2 * partSize
        return (partSize, max(1, min(6, budget / partSize)))
    }

    /// Opens the upload's destination: `s3://BUCKET/KEY` names the object (replaced when the
    /// backup completes), `s3://BUCKET/PREFIX/` takes `automaticName` there, or `-2`, `-3`, …
    /// when an object or sidecar of that name exists (an automatic name never replaces). First
    /// aborts the uploads that killed backups left to this prefix (see `S3UploadJanitor`).
    static func open(_ argument: String, remote: RemoteAccess, automaticName name: String) async throws -> S3MultipartSink {
        let client = try remote.s3Client()
        do {
            let given = try S3Location.parse(argument)
            let prefix = given.isPrefix ? given.key : String(given.key[..<(given.key.lastIndex(of: "/").map { given.key.index(after: $0) } ?? given.key.startIndex)])
            let explicitKey = given.isPrefix ? nil : given.key
            let quiet = remote.variables["SINDRI_REMOTE_ORPHAN_SECONDS"].flatMap { TimeInterval($0) } ?? S3UploadJanitor.quietSeconds
            let notes = try await S3UploadJanitor.abortStale(
                client: client, bucket: given.bucket, prefix: prefix, quietSeconds: quiet
            ) { key in key == explicitKey || S3UploadJanitor.isAutomaticName(key, prefix: prefix) }
            guard given.isPrefix else {
                return S3MultipartSink(client: client, object: given, automaticName: false, notes: notes)
            }
            let stem = name.hasSuffix(".tar.gz") ? String(name.dropLast(7)) : name
            for attempt in 1...1000 {
                let candidate = given.with(key: prefix + (attempt == 1 ? name : "\(stem)-\(attempt).tar.gz"))
                if try await client.headObject(candidate) != nil { continue }
                if try await client.headObject(candidate.with(key: candidate.key + ".sha256")) != nil { continue }
                return S3MultipartSink(client: client, object: candidate, automaticName: true, notes: notes)
            }
            throw RemoteError(.conflict, "no free archive name under \(given) for \(name)")
        } catch {
            throw RemoteBridge.engineError(error)
        }
    }

    init(client: S3Client, object: S3Location, automaticName: Bool, notes: [String] = [], firstPartSize: Int = 8 << 20) {
        self.client = client
        self.object = object
        self.notes = notes
        self.automaticName = automaticName
        self.firstPartSize = firstPartSize
        (partSize, maxInFlight) = Self.sizing(expectedBytes: 0)
        firstPart.reserveCapacity(firstPartSize)
    }

    deinit {
        if !completed { abort() }
    }

    /// Sizes the parts for an archive of at most `bytes`. Called once the walk has counted, which
    /// for a backup streaming from its walk is after parts went out at the default size: the
    /// rest is sized so that it fits the part numbers left (never smaller than now).
    func expectSize(_ bytes: UInt64) {
        let remaining = bytes > bytesWritten ? bytes - bytesWritten : 0
        let partsLeft = UInt64(max(1, 9_000 - (nextPartNumber - 2)))
        let (scaled, overflow) = (remaining / partsLeft).multipliedReportingOverflow(by: 9_000)
        let sized = Self.sizing(expectedBytes: overflow ? UInt64.max / 2 : scaled)
        if sized.partSize >= partSize { (partSize, maxInFlight) = sized }
    }

    /// Appends bytes; `isData` marks the data members the manifest's checksum covers.
    func write(_ bytes: [UInt8], isData: Bool) throws {
        if isData { bytes.withUnsafeBytes { dataHasher.update(bufferPointer: $0) } }
        var rest = bytes[...]
        if firstPart.count < firstPartSize {
            let take = min(firstPartSize - firstPart.count, rest.count)
            firstPart += rest.prefix(take)
            rest = rest.dropFirst(take)
        }
        current += rest
        bytesWritten += UInt64(bytes.count)
        while current.count >= partSize {
            let part = Array(current.prefix(partSize))
            current.removeFirst(partSize)
            try startPart(part)
        }
    }

    /// The hex SHA256 of the data members written so far.
    func dataChecksum() -> String {
        FileDigest.hex(dataHasher.finalize())
    }

    /// Overwrites bytes at `offset`, which must lie in the held first part (the manifest member).
    func rewrite(_ bytes: [UInt8], at offset: UInt64) throws {
        guard offset + UInt64(bytes.count) <= UInt64(firstPart.count) else {
            throw SindriError(.internal, "the manifest member is larger than the first part of the upload")
        }
        firstPart.replaceSubrange(Int(offset)..<Int(offset) + bytes.count, with: bytes)
    }

    private func startPart(_ part: [UInt8]) throws {
        try Interruption.checkpoint()
        if uploadId == nil {
            let client = self.client, location = self.object
            uploadId = try RemoteBridge.wait { try await client.createMultipartUpload(location) }
        }
        while inFlight.count >= maxInFlight { try collectOldest() }
        let number = nextPartNumber
        nextPartNumber += 1
        let client = self.client, location = self.object, id = uploadId!
        inFlight.append(Task.detached {
            (number, try await client.uploadPart(location, uploadId: id, number: number, body: part))
        })
    }

    private func collectOldest() throws {
        let task = inFlight.removeFirst()
        do {
            etags.append(try RemoteBridge.wait { try await task.value })
        } catch {
            throw RemoteBridge.engineError(error)
        }
    }

    /// Uploads what is left, part 1 last, makes the object appear, and returns the SHA-256 of
    /// the object as stored (read back, see the type's notes). The old `.sha256` beside the
    /// key is removed first, so no sidecar of another archive ever sits beside this one.
    func wholeFileChecksum() throws -> String {
        precondition(!finished, "finished twice")
        finished = true
        let client = self.client, location = self.object
        let sidecar = location.with(key: location.key + ".sha256")
        do {
            if uploadId == nil, current.isEmpty {
                // Small enough for one request: PutObject is as atomic as a completed upload.
                let body = firstPart, conditional = automaticName
                try RemoteBridge.wait {
                    try await client.deleteObject(sidecar)
                    try await client.putObject(location, body: body, contentType: "application/gzip", ifNoneMatch: conditional)
                }
                completed = true
                return FileDigest.hex(SHA256.hash(data: firstPart))
            }
            if !current.isEmpty {
                let last = current
                current = []
                try startPart(last)
            }
            while !inFlight.isEmpty { try collectOldest() }
            let id = uploadId!, first = firstPart
            etags.append((1, try RemoteBridge.wait { try await client.uploadPart(location, uploadId: id, number: 1, body: first) }))
            let parts = etags, conditional = automaticName
            try RemoteBridge.wait {
                try await client.deleteObject(sidecar)
                try await client.completeMultipartUpload(location, uploadId: id, parts: parts, ifNoneMatch: conditional)
            }
            completed = true
        } catch {
            throw RemoteBridge.engineError(error)
        }
        return try Self.readBackChecksum(client: client, location: location, size: bytesWritten)
    }

    /// The SHA-256 of the stored object, read with parallel ranged GETs.
    static func readBackChecksum(client: S3Client, location: S3Location, size: UInt64) throws -> String {
        do {
            return try RemoteBridge.wait {
                let prefetcher = RangedPrefetcher(size: size, chunkSize: 8 << 20, window: 6) { try await client.getObject(location, range: $0) }
                var hasher = SHA256()
                var seen: UInt64 = 0
                while let chunk = try await prefetcher.next() {
                    hasher.update(data: chunk)
                    seen += UInt64(chunk.count)
                }
                guard seen == size else { throw RemoteError(.protocolError, "\(location) holds \(seen) bytes, not the \(size) written") }
                return FileDigest.hex(hasher.finalize())
            }
        } catch {
            throw RemoteBridge.engineError(error)
        }
    }

    /// Puts the final manifest over the held first part, uploads the rest, completes the
    /// upload and stores the `.sha256` sidecar; returns the sidecar's location.
    func commit(replacingStartWith start: [UInt8]?) throws -> String? {
        if let start { try rewrite(start, at: 0) }
        let checksum = try wholeFileChecksum()
        return try storeSidecar(wholeFileChecksum: checksum)
    }

    /// Stores the `.sha256` sidecar object (`sha256sum -c` format); returns its location.
    private func storeSidecar(wholeFileChecksum: String) throws -> String? {
        let name = object.key.split(separator: "/").last.map(String.init) ?? object.key
        let body = Array("\(wholeFileChecksum)  \(name)\n".utf8)
        let client = self.client, sidecar = object.with(key: object.key + ".sha256")
        do {
            try RemoteBridge.wait { try await client.putObject(sidecar, body: body, contentType: "text/plain") }
        } catch {
            throw RemoteBridge.engineError(error)
        }
        return sidecar.description
    }

    /// Stops the parts in flight and aborts the upload, so nothing is left at the key nor as
    /// parts. Runs to the end even when the command was interrupted (it is the cleanup).
    func abort() {
        guard !completed else { return }
        completed = true
        for task in inFlight { task.cancel() }
        let tasks = inFlight
        inFlight.removeAll()
        guard let id = uploadId else { return }
        let client = self.client, location = self.object
        let cleanup: @Sendable () async throws -> Void = {
            for task in tasks { _ = try? await task.value }
            try await client.abortMultipartUpload(location, uploadId: id)
        }
        let outcome: Result<Void, Error>
        if BlockingWaits.allowedOnCurrentThread {
            outcome = Result { try RemoteBridge.wait(cleanup) }
        } else {
            // Not on the engine's thread (a deinit elsewhere): abort in the background; if the
            // process ends first, the next backup to this prefix aborts the upload.
            Task.detached { try? await cleanup() }
            return
        }
        if case .failure(let error) = outcome {
            CleanupLog.record("could not abort the unfinished upload to \(location) (\(error)): run sindri prune-uploads s3://\(location.bucket)/")
        }
    }
}
