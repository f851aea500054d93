import Benchmark
import BenchmarkFixtures
import Crypto
import Foundation

/// SHA256 (swift-crypto, BoringSSL with SHA-NI where the CPU has it) over workspace content: every file is
/// hashed once for the checksums member, and the archive's data members once more for the manifest.
let benchmarks: @Sendable () -> Void = {
    let speed = BenchmarkMetric.custom("MB/s", polarity: .prefersLarger, useScalingFactor: false)
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, speed],
        warmupIterations: 1,
        maxDuration: .seconds(5),
        maxIterations: 20
    )

    Benchmark("SHA256, 64 MiB in one pass") { benchmark, sample in
        let clock = ContinuousClock()
        let started = clock.now
        var hasher = SHA256()
        sample.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        blackHole(hasher.finalize())
        benchmark.measurement(speed, Fixtures.megabytesPerSecond(UInt64(sample.count), clock.now - started))
    } setup: {
        try Fixtures.contentSample(bytes: 64 << 20)
    }

    // Small files: one hasher per 2 KiB file, as the block workers do.
    Benchmark("SHA256, 64 MiB as 2 KiB files") { benchmark, sample in
        let clock = ContinuousClock()
        let started = clock.now
        sample.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let end = min(offset + 2048, bytes.count)
                var hasher = SHA256()
                hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: bytes[offset..<end]))
                blackHole(hasher.finalize())
                offset = end
            }
        }
        benchmark.measurement(speed, Fixtures.megabytesPerSecond(UInt64(sample.count), clock.now - started))
    } setup: {
        try Fixtures.contentSample(bytes: 64 << 20)
    }
}
