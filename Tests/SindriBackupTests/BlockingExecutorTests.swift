import Foundation
@testable import SindriBackup
import SindriSystem
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The engine's blocking-I/O executor: work runs on its one dedicated thread, inside the calling
/// task (so cancellation is visible there), and blocking waits anywhere else stop debug builds.
@Suite("blocking-I/O executor")
struct BlockingExecutorTests {
    @Test("work runs on the executor's own thread, always the same one, where blocking waits are allowed")
    func runsOnItsThread() async throws {
        #expect(!BlockingWaits.allowedOnCurrentThread, "the test's own thread must not be marked")
        let first = try await BlockingExecutor.shared.run { (pthread_self(), BlockingWaits.allowedOnCurrentThread) }
        let second = try await BlockingExecutor.shared.run { pthread_self() }
        #expect(first.1)
        #expect(pthread_equal(first.0, second) != 0)
    }

    @Test("a cancelled task sees its cancellation inside the blocking work (unlike in a queue.async closure)")
    func cancellationIsVisible() async throws {
        let started = DispatchSemaphore(value: 0)
        let task = Task {
            try await BlockingExecutor.shared.run { () throws -> Int in
                started.signal()
                // Spins until the cancellation is seen; the bound is only there so that a broken
                // executor fails the test instead of hanging it. (A bound of 20,000 spins, about
                // 20 s, was reached before the cancel arrived when the whole suite loaded the
                // machine.)
                let giveUp = Date().addingTimeInterval(600)
                var spins = 0
                while true {
                    try Interruption.checkpoint()
                    usleep(1_000)
                    spins += 1
                    if Date() > giveUp { return spins }
                }
            }
        }
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                started.wait()
                continuation.resume()
            }
        }
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
    }

    @Test("child tasks that prefer the executor all run on its marked thread")
    func childTasks() async throws {
        let marked = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<20 {
                group.addTask(executorPreference: BlockingExecutor.shared) { BlockingWaits.allowedOnCurrentThread }
            }
            return try await group.reduce(true) { $0 && $1 }
        }
        #expect(marked)
    }

    #if DEBUG
    @Test("a blocking wait on the cooperative pool stops a debug build")
    func waitOffTheExecutorAsserts() async {
        await #expect(processExitsWith: .failure) {
            BlockingWaits.assertAllowed("a semaphore wait in a test task")
        }
    }
    #endif
}
