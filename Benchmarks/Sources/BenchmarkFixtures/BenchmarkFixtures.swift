import Foundation
import SindriBackup
import SindriSynthetic

/// Inputs for the benchmark suites: generated homes cached on disk, content samples and a backup helper.
///
/// Generating a 1 GiB workspace takes ~20 s and 200,000 small files about a minute on the 2-core machine, so
/// each fixture is generated once into `root` (`$SINDRI_BENCH_DIR`, default `/tmp/sindri-bench`) and reused
/// while its `.complete` marker is there; delete the folder to start afresh. Fixtures are deterministic (the
/// generator's seed), so two machines measure the same bytes.
public enum Fixtures {
    /// Where fixtures and the archives written during a run live.
    public static var root: String {
        ProcessInfo.processInfo.environment["SINDRI_BENCH_DIR"] ?? "/tmp/sindri-bench"
    }

    /// A generated developer home of about `bytes` bytes (`sindri-workspace DIR --size`).
    public static func workspace(bytes: Int64, seed: UInt64 = 42) throws -> String {
        try cached("workspace-\(bytes)-\(seed)") { directory in
            _ = try WorkspaceGenerator.generate(WorkspaceSpec(totalBytes: bytes, seed: seed), at: directory)
        }
    }

    /// A home of `count` small files (100 B - 4 KiB) in nested directories (`sindri-workspace --small-files`).
    public static func smallFiles(count: Int, seed: UInt64 = 42) throws -> String {
        try cached("small-files-\(count)-\(seed)") { directory in
            _ = try WorkspaceGenerator.generate(WorkspaceSpec(seed: seed, smallFilesOnly: count), at: directory)
        }
    }

    /// A home holding one file of `bytes` bytes of semi-compressible data: a 64 MiB content sample of a
    /// generated workspace, written again and again, each copy rotated and with a few bytes changed.
    /// (A sparse file would compress to nothing and read at memory speed.)
    public static func singleFile(bytes: Int64, seed: UInt64 = 42) throws -> String {
        let sample = try contentSample(bytes: 64 << 20, seed: seed)
        return try cached("single-file-\(bytes)-\(seed)") { directory in
            let path = directory + "/big.bin"
            guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
                throw FixtureError("cannot create \(path)")
            }
            defer { try? handle.close() }
            var generator = SplitMix64(seed: seed)
            var written: Int64 = 0
            while written < bytes {
                let shift = Int(generator.next() % UInt64(sample.count))
                var copy = Array(sample[shift...]) + Array(sample[..<shift])
                for _ in 0..<256 { copy[Int(generator.next() % UInt64(copy.count))] = UInt8(truncatingIfNeeded: generator.next()) }
                let count = Int(min(Int64(copy.count), bytes - written))
                try handle.write(contentsOf: copy[..<count])
                written += Int64(count)
            }
        }
    }

    /// The first `bytes` bytes of the regular files of a generated 128 MiB workspace, concatenated in path
    /// order: realistic input for hashing and deflate (sources, configs, git packs, images), without I/O.
    public static func contentSample(bytes: Int, seed: UInt64 = 42) throws -> [UInt8] {
        let home = try workspace(bytes: 128 << 20, seed: seed)
        var sample: [UInt8] = []
        sample.reserveCapacity(bytes)
        let enumerator = FileManager.default.enumerator(atPath: home)
        var paths: [String] = []
        while let path = enumerator?.nextObject() as? String { paths.append(path) }
        for path in paths.sorted() where sample.count < bytes {
            let full = home + "/" + path
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue,
                  let data = FileManager.default.contents(atPath: full) else { continue }
            sample.append(contentsOf: data.prefix(bytes - sample.count))
        }
        // A small workspace may hold less than asked: repeat it.
        while sample.count < bytes { sample.append(contentsOf: sample.prefix(bytes - sample.count)) }
        return sample
    }

    /// Backs up `home` with the `full` profile into a scratch archive, removes the archive and returns the result.
    public static func backup(home: String, level: Int = 6) async throws -> BackupResult {
        let output = root + "/out"
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let archive = output + "/bench-\(getpid()).tar.gz"
        let config = try ArchiveConfig(profile: .full).withCompressionLevel(level)
        let result = try await ArchiveBuilder(config).create(home: home, output: .file(archive))
        try? FileManager.default.removeItem(atPath: archive)
        try? FileManager.default.removeItem(atPath: archive + ".sha256")
        return result
    }

    /// A level-6 `full`-profile archive of `home`, made once and kept next to the fixtures.
    public static func archive(of home: String) async throws -> String {
        let archive = home + ".tar.gz"
        if FileManager.default.fileExists(atPath: archive + ".complete") { return archive }
        let config = try ArchiveConfig(profile: .full).withCompressionLevel(6)
        _ = try await ArchiveBuilder(config).create(home: home, output: .file(archive))
        FileManager.default.createFile(atPath: archive + ".complete", contents: nil)
        return archive
    }

    /// `root/name`, emptied (removed and created again), then `sync`: deleting a previous
    /// iteration's gigabyte leaves the disk busy (on a filesystem mounted with `discard`, for
    /// seconds), which would otherwise be measured as part of the next iteration.
    public static func emptyDirectory(_ name: String) throws -> String {
        let directory = root + "/" + name
        if FileManager.default.fileExists(atPath: directory) { try run("/bin/rm", ["-rf", directory]) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try run("/bin/sync", [])
        return directory
    }

    /// Runs a tool and fails unless it exits 0.
    public static func run(_ executable: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw FixtureError("\(executable) \(arguments.joined(separator: " ")) exited with \(process.terminationStatus)")
        }
    }

    /// Megabytes (10^6 bytes) per second, for the suites' custom throughput metrics.
    public static func megabytesPerSecond(_ bytes: UInt64, _ duration: Duration) -> Int {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return seconds > 0 ? Int((Double(bytes) / seconds / 1e6).rounded()) : 0
    }

    /// Generates into `root/name` once; later calls return the cached directory.
    private static func cached(_ name: String, generate: (String) throws -> Void) throws -> String {
        let directory = root + "/" + name
        let marker = root + "/" + name + ".complete"
        if FileManager.default.fileExists(atPath: marker) { return directory }
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try generate(directory)
        FileManager.default.createFile(atPath: marker, contents: nil)
        return directory
    }
}

/// A fixture that could not be prepared.
public struct FixtureError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A tiny deterministic generator for the variations of `singleFile`.
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
