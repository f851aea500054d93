import Foundation
import SindriArchive
import SindriSystem

/// Finds our archives in a directory by what their manifests say, reading only each one's
/// first gzip member.
public enum BackupLocator {
    /// One archive found: its path, manifest and modification time (breaks ties of `created_at`,
    /// which has whole seconds).
    public struct Found: Sendable {
        public var path: String
        public var manifest: BackupManifest
        public var modified: Date
    }

    /// Every `.tar.gz`/`.tgz` in `directory` whose first member is our manifest, oldest first.
    public static func archives(in directory: String) -> [Found] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var found: [Found] = []
        for name in names.sorted() where name.hasSuffix(".tar.gz") || name.hasSuffix(".tgz") {
            let path = (directory as NSString).appendingPathComponent(name)
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                  attributes[.type] as? FileAttributeType == .typeRegular,
                  let head = try? BaseArchiveReader.head(path) else { continue }
            found.append(Found(path: path, manifest: head.manifest, modified: attributes[.modificationDate] as? Date ?? .distantPast))
        }
        return found.sorted { ($0.manifest.createdAt, $0.modified) < ($1.manifest.createdAt, $1.modified) }
    }

    /// The newest archive of `source` and `profile` in `directory` that can be a base (its
    /// manifest carries its checksum), or nil.
    public static func newestBase(in directory: String, source: SourceInfo, profile: BackupProfile) -> Found? {
        archives(in: directory).last {
            $0.manifest.source.instanceName == source.instanceName && $0.manifest.profile == profile.rawValue
                && $0.manifest.checksum.isRealSHA256
        }
    }

    /// The archive whose manifest checksum is `checksum`: first among `candidates` (archives
    /// named on the command line), then in `directories` in order.
    static func find(checksum: String, candidates: [String], directories: [String]) -> String? {
        for path in candidates {
            if let head = try? BaseArchiveReader.head(path), head.manifest.checksum.value == checksum { return path }
        }
        for directory in directories {
            if let match = archives(in: directory).first(where: { $0.manifest.checksum.value == checksum }) { return match.path }
        }
        return nil
    }
}
