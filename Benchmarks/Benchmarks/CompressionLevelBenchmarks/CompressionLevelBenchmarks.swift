import Benchmark
import BenchmarkFixtures
import Foundation

/// Backups of a generated 128 MiB workspace at each level 1-9: throughput and ratio of each.
///
/// `archive per 10k` is the archive's size per 10,000 bytes of file content (deterministic for a given
/// level, so it may carry a threshold); `input MB/s` is content bytes over wall time.
let benchmarks: @Sendable () -> Void = {
    let speed = BenchmarkMetric.custom("input MB/s", polarity: .prefersLarger, useScalingFactor: false)
    let size = BenchmarkMetric.custom("archive per 10k", polarity: .prefersSmaller, useScalingFactor: false)
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, speed, size],
        warmupIterations: 1,
        maxDuration: .seconds(20),
        maxIterations: 3
    )

    for level in 1...9 {
        Benchmark("Backup 128 MiB workspace, level \(level)") { benchmark, home in
            let clock = ContinuousClock()
            let started = clock.now
            let result = try await Fixtures.backup(home: home, level: level)
            benchmark.measurement(speed, Fixtures.megabytesPerSecond(result.totalBytes, clock.now - started))
            benchmark.measurement(size, Int(result.sizeBytes * 10_000 / max(result.totalBytes, 1)))
        } setup: {
            try Fixtures.workspace(bytes: 128 << 20)
        }
    }
}
