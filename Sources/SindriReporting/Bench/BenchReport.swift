import Foundation
import SindriBackup

/// One measured codec setting of `sindri bench`: a gzip level through the whole backup pipeline,
/// or LZ4 over the same tar stream.
public struct BenchRow: Sendable, Equatable, Codable {
    /// `gzip` or `lz4`.
    public var codec: String
    /// The gzip level 1-9 (0 for LZ4's default level).
    public var level: Int
    /// `1`...`9` or `lz4`: the label in tables and on the plot.
    public var label: String
    /// Bytes of the uncompressed tar stream (what was compressed).
    public var inputBytes: UInt64
    /// Bytes of the output: the whole archive for gzip (what `sindri backup` writes), the frame for LZ4.
    public var outputBytes: UInt64
    /// `inputBytes / outputBytes` (zstd's `x` figure).
    public var ratio: Double
    /// Median wall seconds and the resulting throughput in MB/s (10^6 bytes of input per second).
    public var compressSeconds: Double
    public var compressMBPerSecond: Double
    public var decompressSeconds: Double
    public var decompressMBPerSecond: Double
    /// Median CPU seconds (user + system): all threads for gzip compression, the one thread otherwise.
    public var compressCPUSeconds: Double
    public var decompressCPUSeconds: Double
    /// The process's peak resident memory after this row (a high-water mark: it never decreases).
    public var peakResidentBytes: UInt64
    /// Every run's wall seconds, in run order.
    public var compressRuns: [Double]
    public var decompressRuns: [Double]
    /// Whether every run produced the same number of bytes (it should: bytes are deterministic).
    public var bytesIdenticalAcrossRuns: Bool

    enum CodingKeys: String, CodingKey {
        case codec, level, label, inputBytes = "input_bytes", outputBytes = "output_bytes", ratio
        case compressSeconds = "compress_seconds", compressMBPerSecond = "compress_mb_per_s"
        case decompressSeconds = "decompress_seconds", decompressMBPerSecond = "decompress_mb_per_s"
        case compressCPUSeconds = "compress_cpu_seconds", decompressCPUSeconds = "decompress_cpu_seconds"
        case peakResidentBytes = "peak_rss_bytes", compressRuns = "compress_runs", decompressRuns = "decompress_runs"
        case bytesIdenticalAcrossRuns = "bytes_identical_across_runs"
    }
}

/// The result of `sindri bench`: what was measured, on what, and how.
public struct BenchReport: Sendable, Equatable, Codable {
    /// The tree archived and how it was chosen (`--home` or `--synthetic SIZE seed N`).
    public var tree: String
    public var treeSource: String
    public var profile: String
    /// Regular files and content bytes the profile selects, and all members.
    public var files: Int
    public var members: Int
    public var contentBytes: UInt64
    /// Bytes of the tar stream the codecs compress (manifest and trailer included).
    public var tarBytes: UInt64
    public var alreadyCompressed: CompressibilityEstimate
    public var repeats: Int
    /// Worker tasks of the backup pipeline and the cores the machine has.
    public var workers: Int
    public var cores: Int
    public var toolVersion: String
    /// RFC 3339 time the benchmark started.
    public var startedAt: String
    public var rows: [BenchRow]
    public var notes: [String]

    enum CodingKeys: String, CodingKey {
        case tree, treeSource = "tree_source", profile, files, members, contentBytes = "content_bytes"
        case tarBytes = "tar_bytes", alreadyCompressed = "already_compressed", repeats, workers, cores
        case toolVersion = "tool_version", startedAt = "started_at", rows, notes
    }

    /// The notes every report carries.
    static func standardNotes(repeats: Int) -> [String] {
        [
            "Output bytes and ratios are deterministic for a fixed tree: the same tree gives the same bytes at each level on every run and machine (the gzip rows equal `sindri backup --compression N` archives of the tree); throughput, CPU time and memory vary with the machine and its load.",
            "gzip rows time the whole backup pipeline (walk, read, parallel compression, fsync) writing to a temporary file; decompression is a single-threaded GzipStreamDecoder pass over the archive. The lz4 row compresses the same tar stream, less the manifest member (its timestamps vary), on one thread (LZ4 frame, default level) and is there for scale.",
            "Times are the median of \(repeats) run\(repeats == 1 ? "" : "s"); MB/s is 10^6 bytes of tar stream per second. Peak RSS is the process's high-water mark (ru_maxrss), so it never decreases from one row to the next.",
        ]
    }
}
