// Only with the ObjectStorage package trait (see Package.swift): the S3 and HTTPS locations.
#if ObjectStorage
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
/// - **Bounded memory for every size S3 accepts.** `S3PartPlan` sizes the parts from the walk's
///   upper bound (`expectSize`) so that the archive fits in 9,000 parts (10,000 is S3's limit; the
///   rest is headroom), and decides where parts wait: in memory for archives up to about
///   300 GiB, past that in an unlinked temporary file (`UploadSpool`), because parts big enough
///   for 5 TiB cannot be held six at a time in 256 MiB. At most `maxInFlight` parts upload at
///   once; a full part waits for a free slot, which holds back the writer and so the
///   compressors. Request bodies are streamed in 1 MiB chunks, never copied whole. The sink's
///   buffers stay under `S3PartPlan.memoryBytes` (at most 224 MiB), whatever the size.
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
/// nothing with it but their part (their own copy, or their slot of the spool, which is not
/// written again before the upload is collected), and hand back their ETag through the task's
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
    private(set) var plan: S3PartPlan
    /// Spool parts whatever their size (`SINDRI_S3_SPOOL_PARTS=1`): how the tests reach the
    /// spooled path without a 300 GiB archive.
    private let forceSpool: Bool
    private var firstPart: [UInt8] = []
    /// The part being filled, in memory (when the plan does not spool).
    private var current: [UInt8] = []
    /// The spool and how much of the part being filled is in its slot (when the plan spools).
    private var spool: UploadSpool?
    private var spooledBytes = 0
    private var spoolHasher = SHA256()
    private var nextPartNumber = 2
    /// A plan chosen by `expectSize` while a part was filling, adopted when it is cut.
    private var pendingPlan: S3PartPlan?
    private var uploadId: String?
    private var inFlight: [Task<(Int, String), Error>] = []
    private var etags: [(number: Int, etag: String)] = []
    private var dataHasher = SHA256()
    private var finished = false
    private var completed = false

    /// A part handed to its upload task: its bytes, or where they are in the spool.
    enum PartBody: Sendable {
        case memory([UInt8])
        case spooled(UploadSpool, slot: Int, length: Int, sha256: String)

        /// The request body, streamed in chunks and read anew on each try.
        var replayable: ReplayableBody {
            switch self {
            case .memory(let bytes):
                return ReplayableBody(length: bytes.count, sha256Hex: FileDigest.hex(SHA256.hash(data: bytes)), chunkSize: S3PartPlan.chunkSize) { offset, count in
                    Array(bytes[offset..<offset + count])
                }
            case .spooled(let spool, let slot, let length, let sha256):
                return ReplayableBody(length: length, sha256Hex: sha256, chunkSize: S3PartPlan.chunkSize) { offset, count in
                    try await spool.read(slot: slot, at: offset, count: count)
                }
            }
        }
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
            let forceSpool = remote.variables["SINDRI_S3_SPOOL_PARTS"] == "1"
            let quiet = remote.variables["SINDRI_REMOTE_ORPHAN_SECONDS"].flatMap { TimeInterval($0) } ?? S3UploadJanitor.quietSeconds
            let notes = try await S3UploadJanitor.abortStale(
                client: client, bucket: given.bucket, prefix: prefix, quietSeconds: quiet
            ) { key in key == explicitKey || S3UploadJanitor.isAutomaticName(key, prefix: prefix) }
            guard given.isPrefix else {
                return S3MultipartSink(client: client, object: given, automaticName: false, notes: notes, forceSpool: forceSpool)
            }
            let stem = name.hasSuffix(".tar.gz") ? String(name.dropLast(7)) : name
            for attempt in 1...1000 {
                let candidate = given.with(key: prefix + (attempt == 1 ? name : "\(stem)-\(attempt).tar.gz"))
                if try await client.headObject(candidate) != nil { continue }
                if try await client.headObject(candidate.with(key: candidate.key + ".sha256")) != nil { continue }
                return S3MultipartSink(client: client, object: candidate, automaticName: true, notes: notes, forceSpool: forceSpool)
            }
            throw RemoteError(.conflict, "no free archive name under \(given) for \(name)")
        } catch {
            throw RemoteBridge.engineError(error)
        }
    }

    init(client: S3Client, object: S3Location, automaticName: Bool, notes: [String] = [], firstPartSize: Int = S3PartPlan.firstPartSize,
         forceSpool: Bool = false) {
        self.forceSpool = forceSpool
        self.client = client
        self.object = object
        self.notes = notes
        self.automaticName = automaticName
        self.firstPartSize = Self.testPartSize ?? firstPartSize
        plan = S3PartPlan(expectedBytes: 0)
        plan.spooled = plan.spooled || forceSpool
        if let size = Self.testPartSize { plan.partSize = size }
        firstPart.reserveCapacity(firstPartSize)
    }

    deinit {
        if !completed { abort() }
    }

    /// Plans the parts for an archive of at most `bytes`. Called once the walk has counted, which
    /// for a backup streaming from its walk may be after parts went out at the first plan's size:
    /// the rest is then planned to fit the part numbers left. A new plan takes effect at the next
    /// part boundary (`adoptPendingPlan`), never in the middle of a part, and parts never shrink.
    func expectSize(_ bytes: UInt64) {
        let first = UInt64(S3PartPlan.firstPartSize)
        let cut = bytesWritten - UInt64(firstPart.count) - UInt64(filling)
        let afterFirst = bytes > first ? bytes - first : 0
        let rest = afterFirst > cut ? afterFirst - cut : 0
        let partsLeft = UInt64(max(1, S3PartPlan.plannedParts - 1 - (nextPartNumber - 2)))
        // The plan for a whole archive whose parts after the first are as large as the rest
        // needs in the parts left.
        let (scaled, overflow) = (rest / partsLeft).multipliedReportingOverflow(by: UInt64(S3PartPlan.plannedParts - 1))
        var next = S3PartPlan(expectedBytes: overflow ? UInt64.max / 2 : first + scaled)
        next.spooled = next.spooled || forceSpool
        if let size = Self.testPartSize { next.partSize = size }
        guard next != plan, next.partSize >= plan.partSize else { return }
        pendingPlan = next
        if filling == 0 { adoptPendingPlan() }
    }

    /// Switches to the plan `expectSize` chose, at a part boundary. Parts still uploading keep
    /// their own body (their copy, or a slot of the spool they hold a reference to), so a spool
    /// of the old slot size stays alive only until they are collected; the next part starts a
    /// spool of the new size if the plan spools; `slot(of:)` holds for it as for the first spool,
    /// since the parts in flight before the switch have no slot in it.
    private func adoptPendingPlan() {
        guard let next = pendingPlan, filling == 0 else { return }
        pendingPlan = nil
        if next.partSize != plan.partSize || next.maxInFlight != plan.maxInFlight { spool = nil }
        plan = next
    }

    /// Test hook, compiled into debug builds only (the end-to-end tests run the debug binary):
    /// `SINDRI_TEST_S3_PART_SIZE=BYTES` sets the size of every part, the held first one
    /// included, so that a test archive of a few MiB spans several parts (the real sizes need
    /// 16 MiB per part). S3 refuses parts under 5 MiB but the last; the tests keep to that.
    static let testPartSize: Int? = {
        #if DEBUG
        return ProcessInfo.processInfo.environment["SINDRI_TEST_S3_PART_SIZE"].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil }
        #else
        return nil
        #endif
    }()

    /// Appends bytes; `isData` marks the data members the manifest's checksum covers.
    func write(_ bytes: [UInt8], isData: Bool) throws {
        if isData { bytes.withUnsafeBytes { dataHasher.update(bufferPointer: $0) } }
        var rest = bytes[...]
        if firstPart.count < firstPartSize {
            let take = min(firstPartSize - firstPart.count, rest.count)
            firstPart += rest.prefix(take)
            rest = rest.dropFirst(take)
        }
        bytesWritten += UInt64(bytes.count)
        while !rest.isEmpty {
            if pendingPlan != nil, filling == 0 { adoptPendingPlan() }
            let take = min(plan.partSize - filling, rest.count)
            try append(rest.prefix(take))
            rest = rest.dropFirst(take)
            if filling == plan.partSize { try startPart(takeFilledPart()) }
        }
    }

    /// Bytes of the part being filled.
    private var filling: Int { plan.spooled ? spooledBytes : current.count }

    private func append(_ bytes: ArraySlice<UInt8>) throws {
        guard plan.spooled else {
            if current.isEmpty { current.reserveCapacity(plan.partSize) }
            current += bytes
            return
        }
        if spool == nil { spool = try UploadSpool(slotSize: plan.partSize, slots: plan.maxInFlight + 1) }
        try spool!.write(bytes, slot: slot(of: nextPartNumber), at: spooledBytes)
        bytes.withUnsafeBytes { spoolHasher.update(bufferPointer: $0) }
        spooledBytes += bytes.count
    }

    /// Parts use the spool's slots in turn: part n's slot was last used by part n - slots, whose
    /// upload is collected before part n starts filling (at most `maxInFlight` are in flight).
    private func slot(of partNumber: Int) -> Int { (partNumber - 2) % (plan.maxInFlight + 1) }

    /// The part being filled, handed over whole; the next one starts empty.
    private func takeFilledPart() -> PartBody {
        guard let spool else {
            defer { current = [] }
            return .memory(current)
        }
        defer {
            spooledBytes = 0
            spoolHasher = SHA256()
        }
        return .spooled(spool, slot: slot(of: nextPartNumber), length: spooledBytes, sha256: FileDigest.hex(spoolHasher.finalize()))
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

    private func startPart(_ part: PartBody) throws {
        try Interruption.checkpoint()
        guard nextPartNumber <= S3PartPlan.maximumParts else {
            throw SindriError(.io, "the archive outgrew the \(S3PartPlan.maximumParts) parts S3 allows (parts of \(plan.partSize >> 20) MiB were planned from the sizes the walk saw: files grew during the backup); nothing was stored at \(object)")
        }
        if uploadId == nil {
            let client = self.client, location = self.object
            uploadId = try RemoteBridge.wait(stoppable: true) { try await client.createMultipartUpload(location) }
        }
        let number = nextPartNumber
        nextPartNumber += 1
        let client = self.client, location = self.object, id = uploadId!
        // Filling the next part may reuse this part's spool slot only once this upload is
        // collected: the wait above guarantees that (see `slot(of:)`).
        while inFlight.count >= plan.maxInFlight { try collectOldest() }
        inFlight.append(Task.detached {
            (number, try await client.uploadPart(location, uploadId: id, number: number, body: part.replayable))
        })
    }

    private func collectOldest() throws {
        let task = inFlight.removeFirst()
        do {
            etags.append(try RemoteBridge.wait(stoppable: true) {
                try await withTaskCancellationHandler { try await task.value } onCancel: { task.cancel() }
            })
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
            if uploadId == nil, filling == 0 {
                // Small enough for one request: PutObject is as atomic as a completed upload.
                let body = firstPart, conditional = automaticName
                try RemoteBridge.wait {
                    try await client.deleteObject(sidecar)
                    try await client.putObject(location, body: body, contentType: "application/gzip", ifNoneMatch: conditional)
                }
                completed = true
                return FileDigest.hex(SHA256.hash(data: firstPart))
            }
            if filling > 0 { try startPart(takeFilledPart()) }
            while !inFlight.isEmpty { try collectOldest() }
            let id = uploadId!, first = PartBody.memory(firstPart).replayable
            etags.append((1, try RemoteBridge.wait(stoppable: true) { try await client.uploadPart(location, uploadId: id, number: 1, body: first) }))
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
#endif
