import Foundation

/// The manifest file name: the first member of every archive.
public let MANIFEST_FILENAME = ".backup-manifest.json"
/// The manifest format version this tool writes. 1.1 adds per-file checksums and the block
/// framing; a 1.0 manifest (the original tool) restores with a note.
public let MANIFEST_VERSION = "1.1.0"
/// The trailing member holding one `sha256sum` line per regular file.
public let CHECKSUMS_FILENAME = ".backup-checksums.sha256"
/// The trailing member of archives streamed to stdout, holding the figures known only at the end.
public let SUMMARY_FILENAME = ".backup-summary.json"

/// Where a backup came from (the manifest's `source` object).
public struct SourceInfo: Codable, Sendable, Equatable {
    public var instanceName: String
    public var provider: String
    public var hostname: String

    public init(instanceName: String, provider: String, hostname: String) {
        self.instanceName = instanceName
        self.provider = provider
        self.hostname = hostname
    }

    enum CodingKeys: String, CodingKey {
        case instanceName = "instance_name", provider, hostname
    }

    // Every field is optional on read: an older writer leaves out what it did not know.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        instanceName = try container.decodeIfPresent(String.self, forKey: .instanceName) ?? ""
        provider = try container.decodeIfPresent(String.self, forKey: .provider) ?? ""
        hostname = try container.decodeIfPresent(String.self, forKey: .hostname) ?? ""
    }
}

/// The archive-level checksum (`checksum` object): the algorithm and its hex value, or
/// `pending` when the value could not be placed in the manifest.
public struct ManifestChecksum: Codable, Sendable, Equatable {
    public var algorithm: String
    public var value: String

    public init(algorithm: String = "sha256", value: String) {
        self.algorithm = algorithm
        self.value = value
    }

    /// The placeholder the original tool always wrote, and ours writes for streamed output.
    public static let pendingValue = "pending"

    enum CodingKeys: String, CodingKey { case algorithm, value }

    // A missing algorithm is sha256 (the only one ever written); a missing value is `pending`.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        algorithm = try container.decodeIfPresent(String.self, forKey: .algorithm) ?? "sha256"
        value = try container.decodeIfPresent(String.self, forKey: .value) ?? Self.pendingValue
    }

    /// Whether `value` is a real SHA256 (64 lowercase hex digits).
    public var isRealSHA256: Bool {
        algorithm.lowercased() == "sha256" && value.count == 64
            && value.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}

/// Figures about an archive (`statistics`). They describe the archive they sit in.
public struct BackupStatistics: Codable, Sendable, Equatable {
    /// Regular files archived with their content.
    public var filesIncluded: Int
    /// The content bytes of those files.
    public var totalSizeBytes: UInt64
    /// The archive file's size (0 when streamed: see the summary member).
    public var compressedSizeBytes: UInt64
    /// compressed / total (0 when unknown).
    public var compressionRatio: Double
    /// How long the backup took; nil when the writer did not record it (the original tool omits
    /// the key when it has no value).
    public var durationSeconds: Double?

    public init(filesIncluded: Int, totalSizeBytes: UInt64, compressedSizeBytes: UInt64, compressionRatio: Double, durationSeconds: Double?) {
        self.filesIncluded = filesIncluded
        self.totalSizeBytes = totalSizeBytes
        self.compressedSizeBytes = compressedSizeBytes
        self.compressionRatio = compressionRatio
        self.durationSeconds = durationSeconds
    }

    enum CodingKeys: String, CodingKey {
        case filesIncluded = "files_included", totalSizeBytes = "total_size_bytes"
        case compressedSizeBytes = "compressed_size_bytes", compressionRatio = "compression_ratio"
        case durationSeconds = "duration_seconds"
    }

    // The counts are known to any writer before it starts and are required; the figures known
    // only at the end (compressed size, ratio, duration) may be missing: the original tool omits
    // a key it has no value for. Missing sizes read as 0 (unknown), a missing duration as nil.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        filesIncluded = try container.decode(Int.self, forKey: .filesIncluded)
        totalSizeBytes = try container.decode(UInt64.self, forKey: .totalSizeBytes)
        compressedSizeBytes = try container.decodeIfPresent(UInt64.self, forKey: .compressedSizeBytes) ?? 0
        compressionRatio = try container.decodeIfPresent(Double.self, forKey: .compressionRatio) ?? 0
        durationSeconds = try container.decodeIfPresent(Double.self, forKey: .durationSeconds)
    }
}

/// Extensions installed in the backed-up home (`extensions`), read from `workspace/.system`.
public struct ExtensionsInfo: Codable, Sendable, Equatable {
    public var installed: [String]
    public var versions: [String: String]

    public init(installed: [String] = [], versions: [String: String] = [:]) {
        self.installed = installed
        self.versions = versions
    }

    enum CodingKeys: String, CodingKey { case installed, versions }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        installed = try container.decodeIfPresent([String].self, forKey: .installed) ?? []
        versions = try container.decodeIfPresent([String: String].self, forKey: .versions) ?? [:]
    }
}

/// The JSON manifest stored as the first member of every archive (manifest format 1.1.0, see README).
///
/// On read, what every writer knows before it starts is required: `version`, `created_at`,
/// `created_by`, `profile` or `backup_type` (each stands for the other), `statistics` with
/// `files_included` and `total_size_bytes`. What an older writer may not have had omits its key
/// and takes a default, so such archives restore: `source` and its fields ("", shown as
/// `unknown`), `checksum` (`pending`) and its `algorithm` (sha256), `compression` (gzip),
/// `statistics.compressed_size_bytes` and `compression_ratio` (0, unknown),
/// `statistics.duration_seconds` (nil), `extensions` and its fields.
public struct BackupManifest: Codable, Sendable, Equatable {
    public var version: String
    public var backupType: String
    /// RFC 3339 UTC time the backup started.
    public var createdAt: String
    public var createdBy: String
    public var source: SourceInfo
    public var profile: String
    public var compression: String
    public var checksum: ManifestChecksum
    public var statistics: BackupStatistics
    /// Absent in manifests written by the original tool.
    public var extensions: ExtensionsInfo?
    /// The archive an incremental was made against; absent in full archives.
    public var base: BackupBase?

    public init(
        version: String = MANIFEST_VERSION, backupType: String, createdAt: String, createdBy: String,
        source: SourceInfo, profile: String, compression: String = "gzip", checksum: ManifestChecksum,
        statistics: BackupStatistics, extensions: ExtensionsInfo?, base: BackupBase? = nil
    ) {
        self.version = version
        self.backupType = backupType
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.source = source
        self.profile = profile
        self.compression = compression
        self.checksum = checksum
        self.statistics = statistics
        self.extensions = extensions
        self.base = base
    }

    enum CodingKeys: String, CodingKey {
        case version, backupType = "backup_type", createdAt = "created_at", createdBy = "created_by"
        case source, profile, compression, checksum, statistics, extensions, base
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        version = try container.decode(String.self, forKey: .version)
        let backupType = try container.decodeIfPresent(String.self, forKey: .backupType)
        let profile = try container.decodeIfPresent(String.self, forKey: .profile)
        guard let either = profile ?? backupType else {
            throw DecodingError.keyNotFound(CodingKeys.profile, DecodingError.Context(codingPath: [], debugDescription: "no profile"))
        }
        self.backupType = backupType ?? either
        self.profile = profile ?? either
        createdAt = try container.decode(String.self, forKey: .createdAt)
        createdBy = try container.decode(String.self, forKey: .createdBy)
        source = try container.decodeIfPresent(SourceInfo.self, forKey: .source) ?? SourceInfo(instanceName: "", provider: "", hostname: "")
        compression = try container.decodeIfPresent(String.self, forKey: .compression) ?? "gzip"
        checksum = try container.decodeIfPresent(ManifestChecksum.self, forKey: .checksum) ?? ManifestChecksum(value: ManifestChecksum.pendingValue)
        statistics = try container.decode(BackupStatistics.self, forKey: .statistics)
        extensions = try container.decodeIfPresent(ExtensionsInfo.self, forKey: .extensions)
        base = try container.decodeIfPresent(BackupBase.self, forKey: .base)
    }

    /// Pretty, key-sorted JSON (stable byte layout for the same values).
    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self))
    }

    /// Parses a manifest; trailing whitespace (our fixed-size padding) is allowed.
    ///
    /// - Throws: `ManifestError`, whose description is one plain sentence (no decoder internals).
    public static func decode(_ bytes: some Collection<UInt8>) throws -> BackupManifest {
        do {
            return try JSONDecoder().decode(BackupManifest.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw ManifestError(error)
        }
    }

    /// The `created_at` format: RFC 3339, UTC, whole seconds.
    public static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }
}

/// A parsed `major.minor.patch` manifest format version.
public struct ManifestVersion: Sendable, Equatable, Comparable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public var patch: Int

    /// Parses `1`, `1.2` or `1.2.3`; anything else is nil (an unknown format).
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...3).contains(parts.count) else { return nil }
        var numbers: [Int] = []
        for part in parts {
            guard !part.isEmpty, part.utf8.count <= 9, part.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
                  let value = Int(part) else { return nil }
            numbers.append(value)
        }
        while numbers.count < 3 { numbers.append(0) }
        (major, minor, patch) = (numbers[0], numbers[1], numbers[2])
    }

    public static func < (a: ManifestVersion, b: ManifestVersion) -> Bool {
        (a.major, a.minor, a.patch) < (b.major, b.minor, b.patch)
    }

    public var description: String { "\(major).\(minor).\(patch)" }
}

/// The figures known only when a streamed archive ends (the `.backup-summary.json` member).
public struct BackupSummary: Codable, Sendable, Equatable {
    /// SHA256 of the compressed data members (what the manifest's checksum covers).
    public var dataChecksum: String
    public var statistics: BackupStatistics
    public var warnings: Int

    public init(dataChecksum: String, statistics: BackupStatistics, warnings: Int) {
        self.dataChecksum = dataChecksum
        self.statistics = statistics
        self.warnings = warnings
    }

    enum CodingKeys: String, CodingKey {
        case dataChecksum = "data_checksum", statistics, warnings
    }
}

/// Why a manifest cannot be used, as one sentence a user can act on.
public struct ManifestError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) { self.description = description }

    /// Translates a decoder failure: which key is missing or has the wrong kind of value, or
    /// that the text is not JSON at all. The coding path is written as `statistics.files_included`.
    init(_ error: DecodingError) {
        func key(_ path: [CodingKey], _ last: CodingKey? = nil) -> String {
            let keys = (path + (last.map { [$0] } ?? [])).map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return keys.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .keyNotFound(let missing, let context):
            description = "the manifest has no '\(key(context.codingPath, missing))'"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            description = context.codingPath.isEmpty
                ? "the manifest is not a JSON object"
                : "the manifest's '\(key(context.codingPath))' has the wrong kind of value"
        case .dataCorrupted(let context):
            description = context.codingPath.isEmpty
                ? "the manifest is not valid JSON"
                : "the manifest's '\(key(context.codingPath))' is not valid"
        @unknown default:
            description = "the manifest cannot be read"
        }
    }
}
