import Foundation
import SindriArchive
import SindriCodecs
import SindriRemote
import SindriSystem

/// One backup found at a location by `sindri backups`.
public struct CatalogEntry: Sendable {
    /// The archive's path or `s3://` location.
    public let location: String
    public let sizeBytes: UInt64
    /// Nil when the first member is not a readable manifest (the `error` says why).
    public let manifest: BackupManifest?
    public let error: String?
}

/// The backups in a local directory or under an S3 prefix, newest first, each described by its
/// manifest, read from the archive's first member only (for S3, one small ranged GET each).
public enum BackupCatalog {
    /// The backups at `location`: a local directory or `s3://BUCKET/PREFIX/`.
    ///
    /// - Throws: `SindriError` `.invalidArgument` for a missing directory or bucket.
    public static func list(_ location: String, access: RemoteAccess = RemoteAccess()) async throws -> [CatalogEntry] {
        if location.lowercased().hasPrefix("s3://") {
            let prefix: S3Location
            do {
                prefix = try S3Location.parse(location)
            } catch {
                throw RemoteBridge.engineError(error)
            }
            return try await s3(client: try access.s3Client(), prefix: prefix)
        }
        return try await local(directory: location)
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

    /// The backups in `directory` (its `.tar.gz` and `.tgz` files, not descending).
    public static func local(directory: String) async throws -> [CatalogEntry] {
        try await BlockingExecutor.shared.run {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw SindriError(.invalidArgument, "\(directory) is not a directory")
            }
            let names = try FileManager.default.contentsOfDirectory(atPath: directory)
                .filter { ($0.hasSuffix(".tar.gz") || $0.hasSuffix(".tgz")) && !$0.hasPrefix(".") }
            var entries: [CatalogEntry] = []
            for name in names {
                try Interruption.checkpoint()
                let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
                guard let handle = FileHandle(forReadingAtPath: path) else { continue }
                defer { try? handle.close() }
                let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? UInt64) ?? 0
                do {
                    let manifest = try manifest { try handle.read(upToCount: 64 << 10).map { [UInt8]($0) } ?? [] }
                    entries.append(CatalogEntry(location: path, sizeBytes: size, manifest: manifest,
                                                error: manifest == nil ? "no sindri manifest" : nil))
                } catch {
                    entries.append(CatalogEntry(location: path, sizeBytes: size, manifest: nil, error: "not a readable archive"))
                }
            }
            return sorted(entries)
        }
    }

    /// The backups under `prefix` (objects ending in `.tar.gz`/`.tgz` directly in it): one
    /// listing, then one ranged GET of each archive's head, a few at a time.
    public static func s3(client: S3Client, prefix: S3Location) async throws -> [CatalogEntry] {
        let base = prefix.key.isEmpty || prefix.key.hasSuffix("/") ? prefix.key : prefix.key + "/"
        let objects: [S3Object]
        do {
            objects = try await client.listObjects(bucket: prefix.bucket, prefix: base).filter {
                let name = $0.key.dropFirst(base.count)
                return !name.contains("/") && (name.hasSuffix(".tar.gz") || name.hasSuffix(".tgz"))
            }
        } catch {
            throw RemoteBridge.engineError(error)
        }
        let entries = try await withThrowingTaskGroup(of: CatalogEntry.self) { group in
            var entries: [CatalogEntry] = []
            var iterator = objects.makeIterator()
            func launch() {
                guard let object = iterator.next() else { return }
                group.addTask {
                    let location = prefix.with(key: object.key)
                    do {
                        let head = try await client.getObject(location, range: 0..<min(object.size, 64 << 10))
                        var handed = false
                        let manifest = try manifest {
                            defer { handed = true }
                            return handed ? [] : head
                        }
                        return CatalogEntry(location: location.description, sizeBytes: object.size, manifest: manifest,
                                            error: manifest == nil ? "no sindri manifest" : nil)
                    } catch let error as RemoteError {
                        return CatalogEntry(location: location.description, sizeBytes: object.size, manifest: nil, error: error.message)
                    } catch {
                        return CatalogEntry(location: location.description, sizeBytes: object.size, manifest: nil, error: "not a readable archive")
                    }
                }
            }
            for _ in 0..<8 { launch() }
            while let entry = try await group.next() {
                try Interruption.checkpoint()
                entries.append(entry)
                launch()
            }
            return entries
        }
        return sorted(entries)
    }

    /// Newest first by `created_at` (RFC 3339 strings in UTC sort as times); archives without a
    /// manifest last, by name.
    static func sorted(_ entries: [CatalogEntry]) -> [CatalogEntry] {
        entries.sorted { a, b in
            switch (a.manifest?.createdAt, b.manifest?.createdAt) {
            case let (x?, y?): return x == y ? a.location < b.location : x > y
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return a.location < b.location
            }
        }
    }
}
