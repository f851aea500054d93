import Foundation
import SindriArchive
import SindriBackup
import SindriCodecs
#if canImport(Glibc)
import Glibc
import SindriSystem
#endif

/// What `sindri bench` measures.
public struct BenchConfiguration: Sendable {
    /// The tree to archive.
    public var home: String
    /// How the tree was chosen, for the report (`--home DIR`, `--synthetic 200M seed 42`).
    public var treeSource: String
    public var profile: BackupProfile
    /// gzip levels, in the order measured.
    public var levels: [Int]
    /// Runs per setting; the report gives the median.
    public var repeats: Int
    /// Whether to add the LZ4 row.
    public var includeLZ4 = true
    /// Where temporary archives go (deleted after each run); must not be inside `home`.
    public var temporaryDirectory: String
    /// Files sampled for the already-compressed estimate.
    public var sampleLimit = 4000

    public init(home: String, treeSource: String, profile: BackupProfile, levels: [Int], repeats: Int, temporaryDirectory: String) {
        self.home = home
        self.treeSource = treeSource
        self.profile = profile
        self.levels = levels
        self.repeats = repeats
        self.temporaryDirectory = temporaryDirectory
    }
}

/// Measures compressed size, ratio, throughput, CPU time and memory of every gzip level (and
/// LZ4) on one tree: the library side of `sindri bench`.
///
/// Each gzip run is a real `ArchiveBuilder.create` to a temporary file, so its byte count is
/// exactly what `sindri backup --compression N` writes for the tree; the archive is then inflated
/// once with `GzipStreamDecoder` on a dedicated thread (timed, `RUSAGE_THREAD`). The LZ4 row
/// compresses the tar stream of the first gzip archive, inflated once to a temporary file, less
/// the manifest member (whose timestamps would make its bytes vary from run to run).
/// Runs are sequential: measuring two at once would measure neither.
public enum CompressionBench {
    /// What the bench is doing, for a progress display.
    public struct Step: Sendable {
        public var description: String
        /// Runs finished before this step.
        public var completed: Int
        public var total: Int
        /// The 1-based number of the run this step starts (`[number/total]`); nil for work
        /// outside the counted runs (sampling the tree, the end).
        public var number: Int?

        public init(description: String, completed: Int, total: Int, number: Int? = nil) {
            self.description = description
            self.completed = completed
            self.total = total
            self.number = number
        }
    }

    /// Runs the benchmark; `progress` is told about each run before it starts.
    ///
    /// - Throws: `SindriError` (unusable tree or temporary directory, I/O failures), `CancellationError`.
    public static func run(_ configuration: BenchConfiguration, progress: @Sendable (Step) -> Void = { _ in }) async throws -> BenchReport {
        precondition(configuration.repeats >= 1 && !configuration.levels.isEmpty)
        let started = Date()
        let io = BlockingExecutor.shared
        let directory = configuration.temporaryDirectory + "/sindri-bench-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard mkdir(directory, 0o700) == 0 else {
            throw SindriError.syscall("mkdir", errno: errno, path: directory)
        }
        defer { try? FileManager.default.removeItem(atPath: directory) }

        // The selection, and the already-compressed estimate from it.
        let base = ArchiveConfig(profile: configuration.profile)
        let plan = try await ArchiveBuilder(base).plan(home: configuration.home)
        let home = configuration.home
        let limit = configuration.sampleLimit
        let entries = plan.entries
        progress(Step(description: "sampling files for already-compressed data", completed: 0, total: 1))
        let estimate = try await io.run { () throws -> CompressibilityEstimate in
            let descriptor = try ArchiveBuilder.openHome(home)
            defer { close(descriptor) }
            return try CompressibilityEstimate.sample(entries: entries, homeDescriptor: descriptor, limit: limit)
        }

        let totalRuns = configuration.levels.count * configuration.repeats + (configuration.includeLZ4 ? configuration.repeats : 0)
        var completed = 0
        var rows: [BenchRow] = []
        var tarBytes: UInt64 = 0
        let tarPath = directory + "/stream.tar"
        var haveTar = false
        for level in configuration.levels {
            var compressTimes: [Double] = [], decompressTimes: [Double] = []
            var compressCPU: [Double] = [], decompressCPU: [Double] = []
            var sizes = Set<UInt64>()
            var input: UInt64 = 0
            for run in 1...configuration.repeats {
                try Interruption.checkpoint()
                progress(Step(description: "gzip level \(level), run \(run)/\(configuration.repeats)", completed: completed, total: totalRuns,
                              number: completed + 1))
                let archive = directory + "/level-\(level).tar.gz"
                let builder = ArchiveBuilder(try base.withCompressionLevel(level))
                let before = ResourceUsage.process()
                let clock = ContinuousClock.now
                let result = try await builder.create(home: configuration.home, output: .file(archive))
                compressTimes.append(seconds(since: clock))
                compressCPU.append(ResourceUsage.process().cpuSeconds - before.cpuSeconds)
                sizes.insert(result.sizeBytes)
                let saveTar = !haveTar && configuration.includeLZ4
                let measured = try await io.run { try inflate(archive, savingTo: saveTar ? tarPath : nil) }
                haveTar = haveTar || saveTar
                decompressTimes.append(measured.seconds)
                decompressCPU.append(measured.cpuSeconds)
                input = measured.bytes
                unlink(archive)
                unlink(archive + ".sha256")
                completed += 1
            }
            tarBytes = input
            rows.append(row(
                codec: "gzip", level: level, label: "\(level)", input: input, output: sizes.max() ?? 0,
                compress: compressTimes, compressCPU: compressCPU, decompress: decompressTimes, decompressCPU: decompressCPU,
                identical: sizes.count == 1))
        }

        if configuration.includeLZ4, haveTar {
            var compressTimes: [Double] = [], decompressTimes: [Double] = []
            var compressCPU: [Double] = [], decompressCPU: [Double] = []
            var sizes = Set<UInt64>()
            let framePath = directory + "/stream.tar.lz4"
            var lz4Input: UInt64 = 0
            for run in 1...configuration.repeats {
                try Interruption.checkpoint()
                progress(Step(description: "lz4, run \(run)/\(configuration.repeats)", completed: completed, total: totalRuns,
                              number: completed + 1))
                let compressed = try await io.run { try lz4Compress(tarPath, to: framePath) }
                compressTimes.append(compressed.seconds)
                compressCPU.append(compressed.cpuSeconds)
                sizes.insert(compressed.bytes)
                let decompressed = try await io.run { try lz4Decompress(framePath) }
                lz4Input = decompressed.bytes
                decompressTimes.append(decompressed.seconds)
                decompressCPU.append(decompressed.cpuSeconds)
                unlink(framePath)
                completed += 1
            }
            rows.append(row(
                codec: "lz4", level: 0, label: "lz4", input: lz4Input, output: sizes.max() ?? 0,
                compress: compressTimes, compressCPU: compressCPU, decompress: decompressTimes, decompressCPU: decompressCPU,
                identical: sizes.count == 1))
        }
        progress(Step(description: "done", completed: totalRuns, total: totalRuns))

        return BenchReport(
            tree: configuration.home, treeSource: configuration.treeSource, profile: configuration.profile.rawValue,
            files: plan.regularFileCount, members: plan.entries.count, contentBytes: plan.regularFileBytes, tarBytes: tarBytes,
            alreadyCompressed: estimate, repeats: configuration.repeats, workers: base.workers,
            cores: ProcessInfo.processInfo.activeProcessorCount, toolVersion: ArchiveBuilder.toolVersion,
            startedAt: EventTime.rfc3339(started), rows: rows, notes: BenchReport.standardNotes(repeats: configuration.repeats))
    }

    /// The median of `values` (the mean of the middle two for an even count).
    public static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    private static func row(
        codec: String, level: Int, label: String, input: UInt64, output: UInt64,
        compress: [Double], compressCPU: [Double], decompress: [Double], decompressCPU: [Double], identical: Bool
    ) -> BenchRow {
        let compressSeconds = median(compress)
        let decompressSeconds = median(decompress)
        let rate = { (seconds: Double) in seconds > 0 ? round3(Double(input) / seconds / 1e6) : 0 }
        return BenchRow(
            codec: codec, level: level, label: label, inputBytes: input, outputBytes: output,
            ratio: output == 0 ? 0 : round3(Double(input) / Double(output)),
            compressSeconds: round3(compressSeconds), compressMBPerSecond: rate(compressSeconds),
            decompressSeconds: round3(decompressSeconds), decompressMBPerSecond: rate(decompressSeconds),
            compressCPUSeconds: round3(median(compressCPU)), decompressCPUSeconds: round3(median(decompressCPU)),
            peakResidentBytes: ResourceUsage.process().peakResidentBytes,
            compressRuns: compress.map(round3), decompressRuns: decompress.map(round3), bytesIdenticalAcrossRuns: identical)
    }

    private static func round3(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }

    private static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// A timed pass: bytes produced, wall seconds, CPU seconds of the calling thread.
    private struct Measured: Sendable {
        var bytes: UInt64
        var seconds: Double
        var cpuSeconds: Double
    }

    /// Times one pass of `body` on the calling (dedicated) thread.
    private static func measure(_ body: () throws -> UInt64) rethrows -> Measured {
        let before = ResourceUsage.thread()
        let start = ContinuousClock.now
        let bytes = try body()
        let wall = seconds(since: start)
        return Measured(bytes: bytes, seconds: wall, cpuSeconds: ResourceUsage.thread().cpuSeconds - before.cpuSeconds)
    }

    /// Reads `path` in 1 MiB chunks, calling `body` for each.
    private static func readChunks(_ path: String, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let source = try ArchiveSources.open(path)
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20)
        while true {
            buffer.removeAll(keepingCapacity: true)
            guard try source.read(upTo: 1 << 20, appendingTo: &buffer) > 0 else { return }
            try buffer.withUnsafeBytes { try body($0) }
        }
    }

    /// Inflates the archive (timed); untimed afterwards, optionally saves its tar stream.
    private static func inflate(_ archive: String, savingTo tarPath: String?) throws -> Measured {
        let measured = try measure {
            let decoder = try GzipStreamDecoder()
            var produced: UInt64 = 0
            try readChunks(archive) { chunk in
                try decoder.feed(chunk) { produced += UInt64($0.count) }
            }
            try decoder.finish()
            return produced
        }
        if let tarPath {
            // Without the first member, the manifest: its timestamps change from run to run, and
            // the LZ4 row's bytes must be as deterministic as the gzip rows'.
            let output = try FileSink(path: tarPath)
            let decoder = try GzipStreamDecoder()
            try readChunks(archive) { chunk in
                try decoder.feed(chunk) { if decoder.membersCompleted >= 1 { try output.write($0) } }
            }
            try decoder.finish()
            try output.close()
        }
        return measured
    }

    private static func lz4Compress(_ tarPath: String, to framePath: String) throws -> Measured {
        try measure {
            let output = try FileSink(path: framePath)
            let encoder = try LZ4FrameEncoder()
            try readChunks(tarPath) { chunk in try encoder.write(chunk) { try output.write($0) } }
            try encoder.finish { try output.write($0) }
            try output.close()
            return output.written
        }
    }

    private static func lz4Decompress(_ framePath: String) throws -> Measured {
        try measure {
            let decoder = try LZ4FrameDecoder()
            var produced: UInt64 = 0
            try readChunks(framePath) { chunk in try decoder.feed(chunk) { produced += UInt64($0.count) } }
            try decoder.finish()
            return produced
        }
    }
}

/// A plain output file for the benchmark's temporary streams (no fsync: they are thrown away).
private final class FileSink {
    private let descriptor: Int32
    private let path: String
    private(set) var written: UInt64 = 0
    private var closed = false

    init(path: String) throws {
        self.path = path
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        if descriptor < 0 { throw SindriError.syscall("open", errno: errno, path: path) }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let result = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if result < 0 {
                if errno == EINTR { continue }
                throw SindriError.syscall("write", errno: errno, path: path)
            }
            offset += result
        }
        written += UInt64(bytes.count)
    }

    func close() throws {
        closed = true
        if Glibc.close(descriptor) != 0 { throw SindriError.syscall("close", errno: errno, path: path) }
    }

    deinit {
        if !closed { _ = Glibc.close(descriptor) }
    }
}
