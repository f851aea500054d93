import SindriArchive
import SindriBackup
import SindriCodecs
#if canImport(Glibc)
import Glibc
import SindriSystem
#endif

/// How much of a tree is already-compressed data (images, archives, packed git objects), which
/// no gzip level will shrink: it explains why ratios flatten between levels.
///
/// Estimated by sampling: the first 64 KiB of each sampled file is deflated (level 6); a file
/// whose sample deflates to more than 95% of its size counts as already compressed, and its
/// whole size is counted as such. Files under 4 KiB are too small to judge (gzip's overhead
/// dominates) and are left out; they rarely matter by bytes.
public struct CompressibilityEstimate: Sendable, Equatable, Codable {
    /// Regular files in the tree and their bytes.
    public var files: Int
    public var bytes: UInt64
    /// Files sampled and judged (at least 4 KiB), and their bytes.
    public var sampledFiles: Int
    public var sampledBytes: UInt64
    /// Sampled files judged already compressed, and their bytes.
    public var compressedFiles: Int
    public var compressedBytes: UInt64

    /// The share of the judged bytes that is already compressed, 0-1.
    public var compressedFraction: Double {
        sampledBytes == 0 ? 0 : Double(compressedBytes) / Double(sampledBytes)
    }

    /// Bytes read from each file.
    public static let sampleSize = 64 << 10
    /// Samples that deflate to more than this fraction of their size are already compressed.
    public static let threshold = 0.95
    /// Files smaller than this are not judged.
    public static let minimumSize: UInt64 = 4 << 10

    enum CodingKeys: String, CodingKey {
        case files, bytes, sampledFiles = "sampled_files", sampledBytes = "sampled_bytes"
        case compressedFiles = "compressed_files", compressedBytes = "compressed_bytes"
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: ExtraKeys.self)
        try container.encode(files, forKey: .files)
        try container.encode(bytes, forKey: .bytes)
        try container.encode(sampledFiles, forKey: .sampledFiles)
        try container.encode(sampledBytes, forKey: .sampledBytes)
        try container.encode(compressedFiles, forKey: .compressedFiles)
        try container.encode(compressedBytes, forKey: .compressedBytes)
        try container.encode((compressedFraction * 10_000).rounded() / 10_000, forKey: .compressedFraction)
    }

    private enum ExtraKeys: String, CodingKey {
        case files, bytes, sampledFiles = "sampled_files", sampledBytes = "sampled_bytes"
        case compressedFiles = "compressed_files", compressedBytes = "compressed_bytes"
        case compressedFraction = "compressed_fraction"
    }

    /// Samples up to `limit` of `entries`' regular files (evenly spread, deterministic) below the
    /// home open as `homeDescriptor`. Unreadable files are skipped. Blocking: run it on a
    /// dedicated thread.
    public static func sample(entries: [TarEntry], homeDescriptor: Int32, limit: Int = 4000) throws -> CompressibilityEstimate {
        let regular = entries.filter { $0.kind == .regular }
        var estimate = CompressibilityEstimate(
            files: regular.count, bytes: regular.reduce(0) { $0 + $1.size },
            sampledFiles: 0, sampledBytes: 0, compressedFiles: 0, compressedBytes: 0)
        let candidates = regular.filter { $0.size >= minimumSize }
        guard !candidates.isEmpty else { return estimate }
        let stride = max(1, (candidates.count + limit - 1) / max(1, limit))
        let compressor = try GzipMemberCompressor(level: 6)
        var buffer = [UInt8](repeating: 0, count: sampleSize)
        var output: [UInt8] = []
        for index in Swift.stride(from: 0, to: candidates.count, by: stride) {
            let entry = candidates[index]
            guard let descriptor = try? withCPath(entry.path, { try FileOpener.openBeneath(homeDescriptor, $0, O_RDONLY | O_NOFOLLOW) }) else {
                continue
            }
            defer { close(descriptor) }
            let count = (try? buffer.withUnsafeMutableBytes { try Syscalls.readFully(descriptor, into: $0, at: 0) }) ?? 0
            guard count > 0 else { continue }
            output.removeAll(keepingCapacity: true)
            try buffer.withUnsafeBytes { raw in
                try compressor.compressMember(UnsafeRawBufferPointer(rebasing: raw[..<count]), appendingTo: &output)
            }
            // The gzip header and trailer (18 bytes) are not the data's doing.
            let deflated = max(0, output.count - GzipFormat.headerSize - GzipFormat.trailerSize)
            estimate.sampledFiles += 1
            estimate.sampledBytes += entry.size
            if Double(deflated) > threshold * Double(count) {
                estimate.compressedFiles += 1
                estimate.compressedBytes += entry.size
            }
        }
        return estimate
    }
}
