import Benchmark
import BenchmarkFixtures
import Foundation

/// `sindri backup` of a generated 1 GiB workspace at level 6: the headline case.
///
/// Wall-clock figures here are for local A/B work; the committed comparison with `tar | pigz`, measured in
/// the same run, is `scripts/perf-compare.sh` (PerfData/README.md). Three iterations, no warm-up: one
/// backup reads the whole workspace, which also warms the page cache for the next.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .peakMemoryResident, .custom("input MB/s", polarity: .prefersLarger, useScalingFactor: false)],
        warmupIterations: 0,
        maxDuration: .seconds(120),
        maxIterations: 3
    )

    Benchmark("Backup 1 GiB workspace, level 6") { benchmark, home in
        let clock = ContinuousClock()
        let started = clock.now
        let result = try await Fixtures.backup(home: home, level: 6)
        benchmark.measurement(.custom("input MB/s", polarity: .prefersLarger, useScalingFactor: false),
                              Fixtures.megabytesPerSecond(result.totalBytes, clock.now - started))
        blackHole(result)
    } setup: {
        try Fixtures.workspace(bytes: 1 << 30)
    }
}
