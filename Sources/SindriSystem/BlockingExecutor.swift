import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The engine's one thread for blocking system calls: a serial executor and a task executor over
/// a dedicated, long-lived thread, so that blocking work never runs on Swift's cooperative pool.
///
/// Why a thread of our own: the cooperative pool has one thread per core (two here); a `write`
/// to a slow pipe (`sindri backup -o - | gpg ...`), an `fsync` of gigabytes, a directory walk or a
/// whole restore parked on one of them would halve the compression workers, and a
/// `DispatchSemaphore.wait` there can deadlock the pool. Why not a `DispatchQueue`: on Linux it
/// conforms to neither `SerialExecutor` nor `TaskExecutor`, and a closure submitted with
/// `queue.async` runs outside the task, where `Task.isCancelled` is always false. Work started
/// with ``run(_:)`` runs inside the calling task under `withTaskExecutorPreference`, so the
/// task's cancellation (a signal, through `CommandRunner`) is visible to the engine's loops.
///
/// One instance, ``shared``, lives as long as the process: restore, verify, list, rollback, the
/// backup's walk and its ordered output all run on it, one job after another.
public final class BlockingExecutor: SerialExecutor, TaskExecutor, @unchecked Sendable {
    /// The engine's executor.
    public static let shared = BlockingExecutor(name: "sindri-io")

    /// Threads for blocking calls made side by side (the staging lanes' writes, reading home files
    /// to compare them): one per core, at least two and at most eight, started on first use and
    /// kept for the process's life. Parallel jobs of a `BoundedPipeline` pick one by slot.
    public static let workers: [BlockingExecutor] = (0..<min(8, max(2, ProcessInfo.processInfo.activeProcessorCount))).map {
        BlockingExecutor(name: "sindri-io-\($0)")
    }

    private let condition = NSCondition()
    /// Jobs waiting to run, in submission order; guarded by `condition`.
    private var jobs: [UnownedJob] = []
    private var head = 0

    /// Starts the thread; it runs until the process exits.
    public init(name: String) {
        // The thread holds the executor: both live until the process exits.
        let thread = Thread {
            BlockingWaits.allowOnCurrentThread()
            self.runJobs()
        }
        thread.name = name
        // A deep directory walk recurses; give it the stack of a main thread.
        thread.stackSize = 8 << 20
        thread.start()
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    public func asUnownedTaskExecutor() -> UnownedTaskExecutor {
        UnownedTaskExecutor(ordinary: self)
    }

    private func runJobs() {
        while true {
            condition.lock()
            while head == jobs.count { condition.wait() }
            let job = jobs[head]
            head += 1
            if head == jobs.count {
                jobs.removeAll(keepingCapacity: true)
                head = 0
            }
            condition.unlock()
            job.runSynchronously(isolatedTo: asUnownedSerialExecutor(), taskExecutor: asUnownedTaskExecutor())
        }
    }

    /// Runs `body` on the executor's thread, inside the calling task (so `Task.isCancelled` and
    /// task-local values are visible there), and returns its result.
    public func run<T: Sendable>(_ body: @Sendable () throws -> T) async throws -> T {
        try await withTaskExecutorPreference(self) {
            BlockingWaits.assertAllowed("work given to BlockingExecutor.run")
            return try body()
        }
    }
}

/// Where blocking waits (`DispatchSemaphore.wait`, `DispatchGroup.wait`, `queue.sync`) may run.
///
/// Such a wait on the cooperative pool parks one of its few threads, and when what it waits for
/// needs a pool thread too, the process deadlocks. The engine's driver code runs on
/// ``BlockingExecutor`` and its worker threads are dispatch queues of its own; both mark their
/// thread, and every wait in the engine calls ``assertAllowed(_:file:line:)`` first. The check
/// is a debug assertion: tests and debug builds stop at the first wait on an unmarked thread.
public enum BlockingWaits {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        let created = pthread_key_create(&key, nil)
        precondition(created == 0, "pthread_key_create failed")
        return key
    }()

    /// Marks the current thread as one of ours, where blocking waits are allowed.
    public static func allowOnCurrentThread() {
        pthread_setspecific(key, UnsafeRawPointer(bitPattern: 1))
    }

    /// Whether the current thread was marked by ``allowOnCurrentThread()``.
    public static var allowedOnCurrentThread: Bool {
        pthread_getspecific(key) != nil
    }

    /// Debug check before a blocking wait: the current thread must be one of ours.
    public static func assertAllowed(_ what: @autoclosure () -> String = "a blocking wait", file: StaticString = #fileID, line: UInt = #line) {
        assert(allowedOnCurrentThread, "\(what()) on a thread that is not the engine's (the cooperative pool?)", file: file, line: line)
    }
}
