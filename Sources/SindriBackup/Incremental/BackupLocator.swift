import Foundation
import SindriArchive
import SindriSystem

/// Finds our archives in a directory by what their manifests say, reading only each one's
/// first gzip member (for an encrypted archive, the chunks that hold it, decrypted with the
/// keys given).
public enum BackupLocator {
    /// One archive found: its path, manifest and modification time (breaks ties of `created_at`,
    /// which has whole seconds).
    public struct Found: Sendable {
        public var path: String
        public var manifest: BackupManifest
        public var modified: Date
        /// Whether it is an age file (its manifest was read through its encryption).
        public var isEncrypted = false
    }

    /// An encrypted archive whose manifest could not be read: no key of the kind it needs was
    /// given (`needsKey`), or none of those given opens it.
    public struct Locked: Sendable {
        public var path: String
        public var modified: Date
        public var needsKey: Bool
        public var needsPassphrase: Bool
    }

    /// Whether a directory entry's name may be an archive: archives are recognized by their
    /// content whatever their name, so only hidden names (our temporary files) and `.sha256`
    /// sidecars are passed over unread.
    static func mayBeArchive(_ name: String) -> Bool {
        !name.hasPrefix(".") && !name.hasSuffix(".sha256")
    }

    /// Every file in `directory` whose first member is our manifest, oldest first.
    public static func archives(in directory: String, keys: ArchiveDecryptionKeys = ArchiveDecryptionKeys()) -> [Found] {
        scan(directory, keys: keys).found
    }

    /// The archives of `directory` whose manifests could be read (oldest first), and the
    /// encrypted ones whose could not.
    static func scan(_ directory: String, keys: ArchiveDecryptionKeys) -> (found: [Found], locked: [Locked]) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var found: [Found] = []
        var locked: [Locked] = []
        for name in names.sorted() where mayBeArchive(name) {
            let path = (directory as NSString).appendingPathComponent(name)
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                  attributes[.type] as? FileAttributeType == .typeRegular else { continue }
            let modified = attributes[.modificationDate] as? Date ?? .distantPast
            let file: ArchiveFileReader
            do {
                file = try ArchiveFileReader(path: path, keys: keys)
            } catch let error as SindriError where error.code == .invalidArgument || error.code == .verificationFailed {
                // Only an encrypted file fails this way once it could be opened.
                guard let start = try? ArchiveFileReader(path: path, keys: nil), start.isEncrypted else { continue }
                locked.append(Locked(path: path, modified: modified, needsKey: error.code == .invalidArgument, needsPassphrase: start.needsPassphrase))
                continue
            } catch {
                continue
            }
            guard let head = try? BaseArchiveReader.head(file) else { continue }
            found.append(Found(path: path, manifest: head.manifest, modified: modified, isEncrypted: file.isEncrypted))
        }
        return (found.sorted { ($0.manifest.createdAt, $0.modified) < ($1.manifest.createdAt, $1.modified) }, locked)
    }

    /// The newest archive of `source` and `profile` in `directory` that can be a base (its
    /// manifest carries its checksum), or nil; and the encrypted archives there that no key
    /// given opens and that are newer than it (any of them may be the true base).
    static func newestBase(
        in directory: String, source: SourceInfo, profile: BackupProfile, keys: ArchiveDecryptionKeys = ArchiveDecryptionKeys()
    ) -> (found: Found?, newerLocked: [Locked]) {
        let scanned = scan(directory, keys: keys)
        let base = scanned.found.last {
            $0.manifest.source.instanceName == source.instanceName && $0.manifest.profile == profile.rawValue
                && $0.manifest.checksum.isRealSHA256
        }
        let newer = scanned.locked.filter { locked in base.map { locked.modified > $0.modified } ?? true }
        return (base, newer)
    }

    /// The archive whose manifest checksum is `checksum`: first among `candidates` (archives
    /// named on the command line), then in `directories` in order; in each directory, the file
    /// named `preferredName` (the name the successor recorded) is tried first, so a chain of
    /// passphrase-encrypted archives costs one key derivation per link, not one per archive.
    static func find(
        checksum: String, candidates: [String], directories: [String], keys: ArchiveDecryptionKeys = ArchiveDecryptionKeys(),
        preferredName: String? = nil
    ) -> String? {
        for path in candidates {
            if let head = try? BaseArchiveReader.head(path, keys: keys), head.manifest.checksum.value == checksum { return path }
        }
        for directory in directories {
            if let preferredName, !preferredName.contains("/") {
                let path = (directory as NSString).appendingPathComponent(preferredName)
                if let head = try? BaseArchiveReader.head(path, keys: keys), head.manifest.checksum.value == checksum { return path }
            }
            if let match = archives(in: directory, keys: keys).first(where: { $0.manifest.checksum.value == checksum }) { return match.path }
        }
        return nil
    }
}
