import Foundation
import SindriArchive
#if ObjectStorage
import SindriRemote
#endif
import SindriSystem

/// Finds and reads the bases of incremental archives wherever backups are kept: local
/// directories and S3 prefixes alike, by the checksum each incremental's manifest records.
///
/// An S3 prefix is listed once per finder (`BackupCatalog`: one listing, then one small ranged
/// GET per archive for its manifest), however many links of a chain are looked up in it.
///
/// Blocking (S3 requests wait on the calling thread): run it on `BlockingExecutor`. Without the
/// ObjectStorage package trait it knows local directories only.
final class BaseFinder {
    let access: RemoteAccess
    /// Keys for encrypted local links (an encrypted base is found by decrypting its manifest).
    let keys: ArchiveDecryptionKeys
    #if ObjectStorage
    private var client: S3Client?
    #endif
    private var catalogs: [String: [CatalogEntry]] = [:]

    init(access: RemoteAccess, keys: ArchiveDecryptionKeys = ArchiveDecryptionKeys()) {
        self.access = access
        self.keys = keys
    }

    /// Where an archive is kept: its directory, or its S3 prefix (`s3://BUCKET/PREFIX/`).
    static func container(of archive: String) -> String {
        #if ObjectStorage
        if S3Location.isS3(archive), let location = try? S3Location.parse(archive) {
            if location.isPrefix { return location.description }
            let prefix = location.key.lastIndex(of: "/").map { String(location.key[...$0]) } ?? ""
            return location.with(key: prefix).description
        }
        #endif
        return URL(fileURLWithPath: archive).deletingLastPathComponent().path
    }

    #if ObjectStorage
    private func s3Client() throws -> S3Client {
        if let client { return client }
        let made = try access.s3Client()
        client = made
        return made
    }

    private func s3Location(_ argument: String) throws -> S3Location {
        do {
            return try S3Location.parse(argument)
        } catch {
            throw RemoteBridge.engineError(error)
        }
    }

    #endif

    /// Reads `archive` (a path or an `s3://` object) as a base.
    func read(_ archive: String) throws -> BaseArchive {
        #if ObjectStorage
        if S3Location.isS3(archive) {
            return try S3BaseArchiveReader.read(client: try s3Client(), location: try s3Location(archive))
        }
        #endif
        return try BaseArchiveReader.read(archive, keys: keys)
    }

    #if ObjectStorage

    /// The backups under an S3 prefix, newest first (listed once).
    func catalog(_ prefix: String) throws -> [CatalogEntry] {
        if let known = catalogs[prefix] { return known }
        let client = try s3Client(), location = try s3Location(prefix)
        let entries = try RemoteBridge.wait { try await BackupCatalog.s3(client: client, prefix: location) }
        catalogs[prefix] = entries
        return entries
    }
    #endif

    /// The archive whose manifest checksum is `checksum`: first among `candidates` (archives
    /// named on the command line), then in `places` (directories and S3 prefixes) in order.
    /// `preferredName` (the file name the child's manifest records) is tried first in a directory.
    func find(checksum: String, candidates: [String], places: [String], preferredName: String? = nil) throws -> String? {
        for candidate in candidates {
            #if ObjectStorage
            if S3Location.isS3(candidate) {
                let prefix = Self.container(of: candidate)
                if let entry = try? catalog(prefix).first(where: { $0.location == (try? s3Location(candidate))?.description }),
                   entry.manifest?.checksum.value == checksum {
                    return entry.location
                }
                continue
            }
            #endif
            if let found = BackupLocator.find(checksum: checksum, candidates: [candidate], directories: [], keys: keys) {
                return found
            }
        }
        for place in places {
            #if ObjectStorage
            if S3Location.isS3(place) {
                if let entry = try catalog(place).first(where: { $0.manifest?.checksum.value == checksum }) { return entry.location }
                continue
            }
            #endif
            if let found = BackupLocator.find(checksum: checksum, candidates: [], directories: [place], keys: keys, preferredName: preferredName) {
                return found
            }
        }
        return nil
    }

    /// The newest backup of `source` and `profile` under the S3 prefix `prefix` that can be a
    /// base (its manifest carries its checksum), or nil.
    func newestBase(under prefix: String, source: SourceInfo, profile: BackupProfile) throws -> String? {
        #if ObjectStorage
        try catalog(prefix).first {
            guard let manifest = $0.manifest else { return false }
            return manifest.source.instanceName == source.instanceName && manifest.profile == profile.rawValue && manifest.checksum.isRealSHA256
        }?.location
        #else
        nil
        #endif
    }
}
