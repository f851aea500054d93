import Benchmark
import BenchmarkFixtures
import Foundation

/// `sindri backup` of 200,000 small files (100 B - 4 KiB): per-file costs (open, read, hash, header)
/// rather than deflate. Two iterations; the fixture takes about a minute to generate the first time.
let benchmarks: @Sendable () -> Void = {
    let rate = BenchmarkMetric.custom("files/s", polarity: .prefersLarger, useScalingFactor: false)
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .peakMemoryResident, .syscalls, rate],
        warmupIterations: 0,
        maxDuration: .seconds(120),
        maxIterations: 2
    )

    Benchmark("Backup 200,000 small files, level 6") { benchmark, home in
        let clock = ContinuousClock()
        let started = clock.now
        let result = try await Fixtures.backup(home: home, level: 6)
        let elapsed = clock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        benchmark.measurement(rate, Int(Double(result.fileCount) / max(seconds, 1e-9)))
    } setup: {
        try Fixtures.smallFiles(count: 200_000)
    }
}
