#if canImport(Glibc)
import Glibc
#endif

/// CPU time and peak memory from `getrusage(2)`.
public struct ResourceUsage: Sendable, Equatable {
    /// User plus system CPU seconds.
    public var cpuSeconds: Double
    /// The peak resident set size in bytes (`ru_maxrss`, a high-water mark that never decreases).
    public var peakResidentBytes: UInt64

    /// The whole process: every thread's CPU time (`RUSAGE_SELF`), for the parallel backup pipeline.
    public static func process() -> ResourceUsage { sample(__rusage_who_t(RUSAGE_SELF.rawValue)) }

    /// The calling thread only (`RUSAGE_THREAD`), for single-threaded work run on a dedicated
    /// thread (decompression, LZ4), so other threads' work is not counted.
    public static func thread() -> ResourceUsage { sample(__rusage_who_t(1)) }  // RUSAGE_THREAD

    private static func sample(_ who: __rusage_who_t) -> ResourceUsage {
        var usage = rusage()
        guard getrusage(who, &usage) == 0 else { return ResourceUsage(cpuSeconds: 0, peakResidentBytes: 0) }
        let seconds = { (time: timeval) in Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        // Linux reports ru_maxrss in KiB.
        return ResourceUsage(
            cpuSeconds: seconds(usage.ru_utime) + seconds(usage.ru_stime),
            peakResidentBytes: UInt64(max(0, usage.ru_maxrss)) * 1024)
    }
}
