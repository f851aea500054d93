import Benchmark
import BenchmarkFixtures
import Foundation
import SindriBackup

/// Durable `sindri restore` of the generated 1 GiB workspace's archive into an empty home, and
/// GNU `tar -xzf` of the same archive in the same run for reference (same archive, same
/// filesystem, page cache as the previous iteration left it). A full-mode restore over a home
/// where every file exists with other content measures the pre-restore snapshot, gzip vs lz4.
///
/// Wall-clock figures are for local A/B work on a noisy machine; compare the ratio of the two
/// benchmarks of one run. The committed figures (page cache dropped, medians of 3, round robin)
/// come from `scripts/perf-restore.sh` (PerfData/restore.md).
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .peakMemoryResident, .custom("content MB/s", polarity: .prefersLarger, useScalingFactor: false)],
        warmupIterations: 0,
        maxDuration: .seconds(120),
        maxIterations: 3
    )

    // Emptying the target (deleting the previous iteration's 1 GB) comes before `startMeasurement`.
    Benchmark("Restore 1 GiB workspace archive into an empty home (durable)") { benchmark, archive in
        let home = try Fixtures.emptyDirectory("restore-target")
        benchmark.startMeasurement()
        let clock = ContinuousClock()
        let started = clock.now
        let result = try await RestoreManager(mode: .safe).restore(
            archive: archive, home: home, options: RestoreOptions(interactive: false))
        benchmark.measurement(.custom("content MB/s", polarity: .prefersLarger, useScalingFactor: false),
                              Fixtures.megabytesPerSecond(result.manifest.statistics.totalSizeBytes, clock.now - started))
        blackHole(result)
    } setup: {
        try await Fixtures.archive(of: try Fixtures.workspace(bytes: 1 << 30))
    }

    Benchmark("Reference: tar -xzf of the same archive (not durable)") { benchmark, archive in
        let home = try Fixtures.emptyDirectory("restore-target")
        benchmark.startMeasurement()
        try Fixtures.run("/usr/bin/tar", ["-xzf", archive, "-C", home])
    } setup: {
        try await Fixtures.archive(of: try Fixtures.workspace(bytes: 1 << 30))
    }

    for codec in [SnapshotCodec.gzip, .lz4] {
        Benchmark("Full-mode restore over a 128 MiB home, every file replaced, \(codec) snapshot",
                  configuration: .init(maxDuration: .seconds(60), maxIterations: 3)) { benchmark, archive in
                // A home holding every archived file with other content: the snapshot holds them all.
            let home = try Fixtures.emptyDirectory("restore-target")
            try Fixtures.run("/usr/bin/tar", ["-xzf", archive, "-C", home])
            try Fixtures.run("/usr/bin/find", [home, "-type", "f", "-exec", "sh", "-c", "for f; do printf x >> \"$f\"; done", "_", "{}", "+"])
            benchmark.startMeasurement()
            let result = try await RestoreManager(mode: .full).restore(
                archive: archive, home: home, options: RestoreOptions(mode: .full, interactive: false, snapshotCodec: codec))
            blackHole(result)
        } setup: {
            try await Fixtures.archive(of: try Fixtures.workspace(bytes: 128 << 20))
        }
    }
}
