import Foundation
import SindriArchive
import SindriCodecs
import SindriSystem

/// Exclusions on top of the profile: user patterns (gitignore syntax) and walk filters.
public struct ExclusionConfig: Sendable {
    /// Patterns in gitignore syntax, in order; `!` re-includes.
    public var patterns: [String]
    /// Directory-level and size filters (`--exclude-caches`, `--one-file-system`, ...).
    public var walk: WalkOptions
    /// Rules read from exclude files (`--exclude-file`), applied before `patterns`, so a
    /// command-line pattern has the last word.
    public var fileRules = IgnoreRules()

    public init(patterns: [String] = [], walk: WalkOptions = WalkOptions()) {
        self.patterns = patterns
        self.walk = walk
    }

    /// Reads an exclude file with `IgnoreRules.parse(fileContents:)` (gitignore syntax: `#`
    /// comments, `!` re-includes, `\r\n` and a byte-order mark accepted).
    ///
    /// - Throws: `SindriError` `.invalidArgument` naming the file (and the line of a bad pattern).
    public static func rules(fromFile path: String) throws -> IgnoreRules {
        guard let data = FileManager.default.contents(atPath: path) else {
            var isDirectory: ObjCBool = false
            let reason: String
            if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
                reason = "it does not exist"
            } else if isDirectory.boolValue {
                reason = "it is a directory"
            } else {
                let descriptor = open(path, O_RDONLY)
                reason = descriptor < 0 ? String(cString: strerror(errno)) : "it cannot be read"
                if descriptor >= 0 { close(descriptor) }
            }
            throw SindriError(.invalidArgument, "cannot read exclude file \(path): \(reason)", path: path)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw SindriError(.invalidArgument, "exclude file \(path) is not UTF-8 text", path: path)
        }
        do {
            return try IgnoreRules.parse(fileContents: text)
        } catch {
            throw SindriError(.invalidArgument, "exclude file \(path): \(error)", path: path)
        }
    }

    /// The compiled rules; a malformed pattern is a usage error naming it.
    func rules() throws -> IgnoreRules {
        var compiled: [IgnorePattern] = fileRules.patterns
        for pattern in patterns {
            do {
                if let parsed = try IgnorePattern.parse(pattern) { compiled.append(parsed) }
            } catch {
                throw SindriError(.invalidArgument, "invalid exclude pattern '\(pattern)': \(error)")
            }
        }
        return IgnoreRules(patterns: compiled)
    }
}

/// Everything that decides what a backup contains and how it is written.
public struct ArchiveConfig: Sendable {
    public var profile: BackupProfile
    /// Where the backup comes from; nil detects it from the home (`sindri.yaml`) and the host.
    public var source: SourceInfo?
    /// gzip level 1 (fastest) to 9 (smallest).
    public private(set) var compressionLevel: Int = 6
    public var exclusions = ExclusionConfig()
    /// Worker tasks building and compressing blocks (default: one per core).
    public var workers: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)
    /// The deflate implementation for data blocks (libdeflate is ~3x faster than zlib here).
    public var engine: DeflateEngine = .libdeflate
    /// Bytes of tar stream per independently compressed gzip member.
    public var blockSize: Int = 1 << 20
    /// Whether progress events are produced.
    public var progress = false
    /// Set for `--incremental` / `--base`: archive only what changed since a base.
    public var incremental: IncrementalOptions?
    /// Encrypt the archive into an age file for these recipients; nil writes a plain `.tar.gz`.
    public var encryption: ArchiveEncryption?

    public init(profile: BackupProfile, source: SourceInfo? = nil) {
        self.profile = profile
        self.source = source
    }

    /// Sets the compression level; throws for anything outside 1-9.
    public func withCompressionLevel(_ level: Int) throws -> ArchiveConfig {
        guard (1...9).contains(level) else {
            throw SindriError(.invalidArgument, "compression level must be 1-9, got \(level)")
        }
        var copy = self
        copy.compressionLevel = level
        return copy
    }

    /// Turns progress events on or off.
    public func withProgress(_ enabled: Bool) -> ArchiveConfig {
        var copy = self
        copy.progress = enabled
        return copy
    }
}

/// What a finished backup produced.
public struct BackupResult: Sendable {
    /// The archive's path (nil for stdout).
    public var archivePath: String?
    /// The `sha256sum` sidecar's path (nil for stdout).
    public var checksumPath: String?
    /// Regular files archived.
    public var fileCount: Int
    /// All members (files, directories, links).
    public var memberCount: Int
    /// Content bytes of the regular files.
    public var totalBytes: UInt64
    /// The archive's size in bytes.
    public var sizeBytes: UInt64
    public var durationSeconds: Double
    public var warnings: [BackupWarning]
    public var manifest: BackupManifest
    /// Each path's `+`/`-` decision, when `exclusions.walk.recordDecisions` was set (`-v`).
    public var decisions: [WalkDecision] = []
    /// Things worth saying that are not warnings (they do not make the run incomplete): stale
    /// temporary files removed from the output directory.
    public var notes: [String] = []
    /// Sockets left out (reported, not a warning: see `WalkResult.socketsSkipped`).
    public var socketsSkipped: [[UInt8]] = []
    /// Earlier sindri archives in the home, left out.
    public var archivesSkipped: [[UInt8]] = []
}

/// Progress of a running backup, emitted at most once per block.
public struct BackupProgress: Sendable {
    public var filesDone: Int
    public var filesTotal: Int
    public var bytesDone: UInt64
    public var bytesTotal: UInt64
    public var compressedBytes: UInt64
    public var currentPath: [UInt8]
    public var warnings: Int
}
