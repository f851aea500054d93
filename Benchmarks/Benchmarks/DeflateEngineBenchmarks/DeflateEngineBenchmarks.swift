import Benchmark
import BenchmarkFixtures
import CLibdeflateBench
import Dispatch
import Foundation

/// libdeflate as the backup uses it: independent 1 MiB blocks, one compressor per thread, gzip members.
/// On one core and on all cores (`activeProcessorCount` threads sharing the blocks), at levels 1, 6 and 9,
/// over 64 MiB of workspace content (text, configs, git packs, images).
let benchmarks: @Sendable () -> Void = {
    let speed = BenchmarkMetric.custom("MB/s", polarity: .prefersLarger, useScalingFactor: false)
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, speed],
        warmupIterations: 1,
        maxDuration: .seconds(10),
        maxIterations: 5
    )
    let blockSize = 1 << 20
    let cores = ProcessInfo.processInfo.activeProcessorCount

    for level in [1, 6, 9] {
        for threads in Set([1, cores]).sorted() {
            let label = threads == 1 ? "single core" : "\(threads) cores"
            Benchmark("libdeflate level \(level), 1 MiB blocks, \(label)") { benchmark, sample in
                let clock = ContinuousClock()
                let started = clock.now
                let blocks = (sample.count + blockSize - 1) / blockSize
                sample.withUnsafeBytes { input in
                    // The sample outlives the workers (concurrentPerform returns when all are done).
                    nonisolated(unsafe) let base = input.baseAddress!
                    let total = input.count
                    DispatchQueue.concurrentPerform(iterations: threads) { worker in
                        let compressor = libdeflate_alloc_compressor(Int32(level))!
                        defer { libdeflate_free_compressor(compressor) }
                        let bound = libdeflate_gzip_compress_bound(compressor, blockSize)
                        let output = UnsafeMutableRawPointer.allocate(byteCount: bound, alignment: 16)
                        defer { output.deallocate() }
                        for block in stride(from: worker, to: blocks, by: threads) {
                            let start = block * blockSize
                            let count = min(blockSize, total - start)
                            blackHole(libdeflate_gzip_compress(compressor, base + start, count, output, bound))
                        }
                    }
                }
                benchmark.measurement(speed, Fixtures.megabytesPerSecond(UInt64(sample.count), clock.now - started))
            } setup: {
                try Fixtures.contentSample(bytes: 64 << 20)
            }
        }
    }
}
