import Foundation
import SindriArchive
import SindriCodecs
#if ObjectStorage
import SindriRemote
#endif
import SindriSystem

/// One backup found at a location by `sindri backups`.
public struct CatalogEntry: Sendable {
    /// The archive's path or `s3://` location.
    public let location: String
    public let sizeBytes: UInt64
    /// Nil when the first member is not a readable manifest (the `error` says why), or when the
    /// archive is encrypted and was not decrypted.
    public let manifest: BackupManifest?
    public let error: String?
    /// Whether it is an age file (recognized by its header, whatever its name).
    public var encrypted = false
    /// The file's modification time or the object's `LastModified` (RFC 3339, UTC): what is
    /// known of an encrypted archive's age without its key.
    public var modified: String?
    /// Why an encrypted archive's manifest was not read (no key given, or a wrong one).
    public var encryptionNote: String?

    /// When it was made, for sorting: the manifest's `created_at`, else the file's time for an
    /// encrypted archive (its manifest is inside the encryption).
    var sortTime: String? { manifest?.createdAt ?? (encrypted ? modified : nil) }
}

/// The backups in a local directory or under an S3 prefix, newest first, each described by its
/// manifest, read from the archive's first member only (for S3, one small ranged GET each).
/// An encrypted archive is listed as such; with `keys`, its first chunks are decrypted to read
/// its manifest, as for a plain archive.
public enum BackupCatalog {
    /// The backups at `location`: a local directory or `s3://BUCKET/PREFIX/`. `keys` (nil: do
    /// not decrypt) open encrypted archives' manifests.
    ///
    /// - Throws: `SindriError` `.invalidArgument` for a missing directory or bucket.
    public static func list(
        _ location: String, access: RemoteAccess = RemoteAccess(), keys: ArchiveDecryptionKeys? = nil
    ) async throws -> [CatalogEntry] {
        #if ObjectStorage
        if location.lowercased().hasPrefix("s3://") {
            let prefix: S3Location
            do {
                prefix = try S3Location.parse(location)
            } catch {
                throw RemoteBridge.engineError(error)
            }
            return try await s3(client: try access.s3Client(), prefix: prefix, keys: keys)
        }
        #endif
        return try await local(directory: location, keys: keys)
    }

    /// Whether a name is listed even when it holds no manifest (with the reason): the names our
    /// archives and other tar.gz files have. Other names are listed only when their content is
    /// an archive of ours or an age file.
    static func hasArchiveName(_ name: String) -> Bool {
        name.hasSuffix(".tar.gz") || name.hasSuffix(".tgz")
    }

    /// Describes the archive at `location` from its start: `readAt(offset, count)` returns the
    /// file's bytes there (fewer only at its end). Nil when it is neither one of our archives,
    /// an age file, nor named like an archive.
    static func describe(
        location: String, name: String, size: UInt64, modified: String?, keys: ArchiveDecryptionKeys?,
        readAt: @escaping (_ offset: Int, _ count: Int) throws -> [UInt8]
    ) -> CatalogEntry? {
        func entry(_ manifest: BackupManifest?, _ error: String?, encrypted: Bool = false, note: String? = nil) -> CatalogEntry {
            CatalogEntry(location: location, sizeBytes: size, manifest: manifest, error: error,
                         encrypted: encrypted, modified: modified, encryptionNote: note)
        }
        func readManifest(_ read: @escaping (_ offset: Int, _ count: Int) throws -> [UInt8]) throws -> BackupManifest? {
            var offset = 0
            return try Self.manifest {
                let bytes = try read(offset, 64 << 10)
                offset += bytes.count
                return bytes
            }
        }
        let start: EncryptedArchives.Start
        do {
            start = try EncryptedArchives.readHeader(OffsetStream(name: location, readAt: readAt))
        } catch {
            // A damaged age header: an age file all the same.
            return entry(nil, "damaged encryption header", encrypted: true)
        }
        switch start {
        case .plain:
            do {
                let found = try readManifest(readAt)
                if found == nil, !hasArchiveName(name) { return nil }
                return entry(found, found == nil ? "no sindri manifest" : nil)
            } catch {
                return hasArchiveName(name) ? entry(nil, "not a readable archive") : nil
            }
        case .encrypted(let prefix, let needsPassphrase):
            guard let keys else {
                return entry(nil, nil, encrypted: true, note: needsPassphrase
                    ? "passphrase-encrypted: --passphrase-file reads its manifest" : "encrypted: --identity reads its manifest")
            }
            do {
                let decryptor = try EncryptedArchives.decryptor(prefix: prefix, needsPassphrase: needsPassphrase, keys: keys, name: location)
                let plaintext = try DecryptedChunkReader(decryptor: decryptor, fileSize: Int(size), name: location, readSealed: readAt)
                let found = try readManifest { offset, count in
                    var bytes = [UInt8](repeating: 0, count: count)
                    let got = try bytes.withUnsafeMutableBytes { try plaintext.read(into: $0, at: offset) }
                    bytes.removeLast(count - got)
                    return bytes
                }
                return entry(found, found == nil ? "no sindri manifest inside" : nil, encrypted: true)
            } catch let error as SindriError where error.code == .invalidArgument {
                return entry(nil, nil, encrypted: true, note: needsPassphrase ? "passphrase-encrypted: no passphrase given" : "no identity given for it")
            } catch let error as SindriError where error.code == .verificationFailed {
                return entry(nil, nil, encrypted: true, note: needsPassphrase ? "wrong passphrase" : "no identity given can decrypt it")
            } catch {
                return entry(nil, "damaged encrypted archive", encrypted: true)
            }
        }
    }

    /// Reads the manifest from the start of an archive: `nextBytes` returns the next bytes of
    /// the file (empty at its end). Stops at the end of the first tar member.
    static func manifest(nextBytes: () throws -> [UInt8]) throws -> BackupManifest? {
        struct Done: Error {}
        let decoder = try GzipStreamDecoder()
        var tar = TarReader()
        var isManifest: Bool?
        var bytes: [UInt8] = []
        var result: BackupManifest?
        var read = 0
        do {
            while read < 4 << 20 {
                let chunk = try nextBytes()
                if chunk.isEmpty { break }
                read += chunk.count
                try decoder.feed(chunk) { output in
                    try tar.consume(output) { event in
                        switch event {
                        case .entry(let member):
                            isManifest = member.entry.path == Array(MANIFEST_FILENAME.utf8)
                            if isManifest == false { throw Done() }
                        case .content(let piece):
                            if isManifest == true, bytes.count + piece.count <= 1 << 20 { bytes += piece }
                        case .endOfEntry, .endOfArchive:
                            if isManifest == true { result = try? BackupManifest.decode(bytes) }
                            throw Done()
                        }
                    }
                }
            }
        } catch is Done {
            return result
        }
        return result
    }

    /// The backups in `directory` (not descending): every file whose content is one of our
    /// archives or an age file, and any other `.tar.gz`/`.tgz` with the reason it is not one.
    public static func local(directory: String, keys: ArchiveDecryptionKeys? = nil) async throws -> [CatalogEntry] {
        try await BlockingExecutor.shared.run {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw SindriError(.invalidArgument, "\(directory) is not a directory")
            }
            let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter(BackupLocator.mayBeArchive)
            var entries: [CatalogEntry] = []
            for name in names {
                try Interruption.checkpoint()
                let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
                guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                      attributes[.type] as? FileAttributeType == .typeRegular,
                      let handle = FileHandle(forReadingAtPath: path) else { continue }
                defer { try? handle.close() }
                let size = attributes[.size] as? UInt64 ?? 0
                let modified = (attributes[.modificationDate] as? Date).map(BackupManifest.timestamp)
                let described = describe(location: path, name: name, size: size, modified: modified, keys: keys) { offset, count in
                    try handle.seek(toOffset: UInt64(offset))
                    var bytes: [UInt8] = []
                    while bytes.count < count, let data = try handle.read(upToCount: count - bytes.count), !data.isEmpty {
                        bytes += data
                    }
                    return bytes
                }
                if let described { entries.append(described) }
            }
            return sorted(entries)
        }
    }

    #if ObjectStorage
    /// The backups under `prefix` (objects ending in `.tar.gz`/`.tgz` directly in it): one
    /// listing, then one ranged GET of each archive's head, a few at a time.
    public static func s3(client: S3Client, prefix: S3Location, keys: ArchiveDecryptionKeys? = nil) async throws -> [CatalogEntry] {
        let base = prefix.key.isEmpty || prefix.key.hasSuffix("/") ? prefix.key : prefix.key + "/"
        let objects: [S3Object]
        do {
            objects = try await client.listObjects(bucket: prefix.bucket, prefix: base).filter {
                let name = $0.key.dropFirst(base.count)
                return !name.contains("/") && BackupLocator.mayBeArchive(String(name))
            }
        } catch {
            throw RemoteBridge.engineError(error)
        }
        let entries = try await withThrowingTaskGroup(of: CatalogEntry?.self) { group in
            var entries: [CatalogEntry] = []
            var iterator = objects.enumerated().makeIterator()
            func launch() {
                guard let (index, object) = iterator.next() else { return }
                // On a worker thread, never the engine's I/O thread: an incremental's base search
                // lists the catalog from that thread, waiting there (`RemoteBridge.wait`) until
                // this returns, so a job queued behind it would never run.
                let worker = BlockingExecutor.workers[index % BlockingExecutor.workers.count]
                group.addTask {
                    let location = prefix.with(key: object.key)
                    let name = String(object.key.dropFirst(base.count))
                    let modified = Self.timestamp(s3: object.lastModified)
                    do {
                        // Enough for an age header and the first chunks, where the manifest is.
                        let head = try await client.getObject(location, range: 0..<min(object.size, Self.headBytes))
                        return try await worker.run {
                            describe(location: location.description, name: name, size: object.size, modified: modified, keys: keys) { offset, count in
                                guard offset < head.count else { return [] }
                                return Array(head[offset..<min(head.count, offset + count)])
                            }
                        }
                    } catch let error as RemoteError {
                        return CatalogEntry(location: location.description, sizeBytes: object.size, manifest: nil, error: error.message, modified: modified)
                    } catch {
                        return CatalogEntry(location: location.description, sizeBytes: object.size, manifest: nil, error: "not a readable archive", modified: modified)
                    }
                }
            }
            for _ in 0..<8 { launch() }
            while let entry = try await group.next() {
                try Interruption.checkpoint()
                if let entry { entries.append(entry) }
                launch()
            }
            return entries
        }
        return sorted(entries)
    }
    #endif

    /// The start of each object read: an age header (usually under 1 KiB) and the two chunks
    /// after it hold the manifest member.
    static let headBytes: UInt64 = 192 << 10

    /// An S3 `LastModified` (ISO 8601, perhaps with milliseconds) as RFC 3339 in whole seconds,
    /// like the manifests' `created_at`.
    static func timestamp(s3 text: String) -> String? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return BackupManifest.timestamp(date) }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text).map(BackupManifest.timestamp) ?? (text.isEmpty ? nil : text)
    }

    /// Newest first by `created_at` (RFC 3339 strings in UTC sort as times; an encrypted archive
    /// read without its key by its file's time); archives without either last, by name.
    static func sorted(_ entries: [CatalogEntry]) -> [CatalogEntry] {
        entries.sorted { a, b in
            switch (a.sortTime, b.sortTime) {
            case let (x?, y?): return x == y ? a.location < b.location : x > y
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return a.location < b.location
            }
        }
    }
}

/// A file read in order through `readAt` (the start of an archive, to recognize an age header).
private final class OffsetStream: ArchiveByteSource {
    private let readAt: (_ offset: Int, _ count: Int) throws -> [UInt8]
    private var offset = 0
    let name: String
    var totalBytes: UInt64? { nil }

    init(name: String, readAt: @escaping (_ offset: Int, _ count: Int) throws -> [UInt8]) {
        self.name = name
        self.readAt = readAt
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let bytes = try readAt(offset, buffer.count)
        if bytes.isEmpty { return 0 }
        bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        offset += bytes.count
        return bytes.count
    }
}
