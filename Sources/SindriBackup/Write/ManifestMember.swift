import Foundation
import SindriArchive
import SindriCodecs
#if canImport(Glibc)
import Glibc
import SindriSystem
#endif

/// Builds the manifest, the archive's first member.
///
/// The member is a stored (uncompressed) gzip member of a size fixed before the backup starts,
/// so the final figures (archive size, checksum, duration) can be written over the placeholder
/// in place once the archive is complete, and still be the first thing every reader sees.
/// The size does not depend on the walk either (it is reserved for the widest figures any home
/// can give), so the placeholder can go out before the walk has counted a single file.
struct ManifestMember {
    let createdAt: Date
    let source: SourceInfo
    let profile: BackupProfile
    let extensions: ExtensionsInfo
    let filesIncluded: Int
    let totalBytes: UInt64
    /// The base of an incremental (nil: a full backup).
    let base: BackupBase?
    /// The JSON's reserved length: the longest figures must fit.
    let reservedSize: Int

    init(createdAt: Date, source: SourceInfo, profile: BackupProfile, extensions: ExtensionsInfo, filesIncluded: Int, totalBytes: UInt64, base: BackupBase? = nil) {
        self.base = base
        self.createdAt = createdAt
        self.source = source
        self.profile = profile
        self.extensions = extensions
        self.filesIncluded = filesIncluded
        self.totalBytes = totalBytes
        var widest = BackupManifest(
            backupType: profile.rawValue, createdAt: BackupManifest.timestamp(createdAt), createdBy: ArchiveBuilder.toolVersion,
            source: source, profile: profile.rawValue, checksum: ManifestChecksum(value: String(repeating: "f", count: 64)),
            statistics: BackupStatistics(filesIncluded: Int.max, totalSizeBytes: UInt64.max, compressedSizeBytes: UInt64(1) << 62,
                                         compressionRatio: 0.1234567, durationSeconds: 9_999_999.123),
            extensions: extensions, base: base)
        widest.version = base == nil ? MANIFEST_VERSION : INCREMENTAL_MANIFEST_VERSION
        widest.backupType = base == nil ? profile.rawValue : INCREMENTAL_BACKUP_TYPE
        widest.statistics.compressionRatio = 1.123456
        let length = (try? widest.encoded().count) ?? 4096
        reservedSize = (length + 64 + 511) / 512 * 512
    }

    func statistics(compressedSize: UInt64, duration: Double) -> BackupStatistics {
        let ratio = totalBytes == 0 || compressedSize == 0 ? 0 : (Double(compressedSize) / Double(totalBytes) * 1e6).rounded() / 1e6
        return BackupStatistics(
            filesIncluded: filesIncluded, totalSizeBytes: totalBytes, compressedSizeBytes: compressedSize,
            compressionRatio: ratio, durationSeconds: (duration * 1000).rounded() / 1000)
    }

    func manifest(checksum: ManifestChecksum, compressedSize: UInt64, duration: Double) -> BackupManifest {
        BackupManifest(
            version: base == nil ? MANIFEST_VERSION : INCREMENTAL_MANIFEST_VERSION,
            backupType: base == nil ? profile.rawValue : INCREMENTAL_BACKUP_TYPE, createdAt: BackupManifest.timestamp(createdAt),
            createdBy: ArchiveBuilder.toolVersion, source: source, profile: profile.rawValue, checksum: checksum,
            statistics: statistics(compressedSize: compressedSize, duration: duration), extensions: extensions, base: base)
    }

    func encodedMember(checksum: ManifestChecksum, compressedSize: UInt64, duration: Double) throws -> [UInt8] {
        try encodedMember(manifest(checksum: checksum, compressedSize: compressedSize, duration: duration))
    }

    /// The stored gzip member holding the manifest's tar member, always the same length.
    func encodedMember(_ manifest: BackupManifest) throws -> [UInt8] {
        var json = try manifest.encoded()
        guard json.count < reservedSize else {
            throw SindriError(.internal, "manifest grew past its reserved size (\(json.count) > \(reservedSize))")
        }
        json.append(contentsOf: repeatElement(UInt8(ascii: " "), count: reservedSize - json.count - 1))
        json.append(UInt8(ascii: "\n"))
        let tar = Self.fileMember(path: MANIFEST_FILENAME, contents: json, modificationTime: Int64(createdAt.timeIntervalSince1970))
        return StoredGzipMember.encode(tar)
    }

    /// A regular-file tar member (header, contents, padding) for the tool's own metadata files.
    static func fileMember(path: String, contents: [UInt8], modificationTime: Int64) -> [UInt8] {
        let entry = TarEntry(
            path: Array(path.utf8), kind: .regular, mode: 0o644, uid: UInt32(geteuid()), gid: UInt32(getegid()),
            size: UInt64(contents.count), modificationTime: modificationTime, linkTarget: [])
        var bytes = TarHeaderEncoder.encode(entry)
        bytes.append(contentsOf: contents)
        bytes.append(contentsOf: repeatElement(0, count: Int(TarLayout.paddedSize(UInt64(contents.count))) - contents.count))
        return bytes
    }
}
