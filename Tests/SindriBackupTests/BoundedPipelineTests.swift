import Foundation
@testable import SindriBackup
@testable import SindriSystem
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Counts jobs running at once and the most ever seen.
private final class Concurrency: Sendable {
    private let state = Mutex<(now: Int, most: Int)>((0, 0))

    func enter() { state.withLock { $0.now += 1; $0.most = max($0.most, $0.now) } }
    func leave() { state.withLock { $0.now -= 1 } }
    var most: Int { state.withLock { $0.most } }
}

private struct JobFailure: Error, Equatable { let index: Int }

@Suite("bounded pipeline: N in flight, ordered outputs, serial queues, failures and stops")
struct BoundedPipelineTests {
    // The jobs run on the engine's worker threads, not the global pool: end-to-end tests in the
    // same process park the cooperative threads while they wait for the binary they run.
    static let executors: [any TaskExecutor] = BlockingExecutor.workers

    @Test("outputs come back in submission order and never more than `width` jobs run at once", arguments: [1, 3, 8])
    func orderAndBound(width: Int) async throws {
        let pipeline = BoundedPipeline<Int>(width: width, executors: Self.executors)
        let running = Concurrency()
        var outputs: [Int] = []
        for index in 0..<64 {
            let done = try await pipeline.submit { _ in
                running.enter()
                defer { running.leave() }
                // Later jobs finish first, so order comes from the pipeline, not from timing.
                usleep(useconds_t(200 * ((64 - index) % 7)))
                return index
            }
            if let done { outputs.append(done) }
            #expect(pipeline.count <= width)
        }
        while let done = try await pipeline.next() { outputs.append(done) }
        #expect(outputs == Array(0..<64))
        #expect(running.most <= width)
        #expect(width == 1 || running.most > 1, "parallel jobs never overlapped")
    }

    @Test("a job's slot is used by no other job in flight")
    func slotsAreExclusive() async throws {
        let width = 4
        let pipeline = BoundedPipeline<Bool>(width: width, executors: Self.executors)
        let busy = Shared<[Bool]>(Array(repeating: false, count: width))
        var allExclusive = true
        for _ in 0..<100 {
            if let done = try await pipeline.submit({ slot in
                let free = busy.update { taken in
                    if taken[slot] { return false }
                    taken[slot] = true
                    return true
                }
                usleep(100)
                busy.update { $0[slot] = false }
                return free
            }) { allExclusive = allExclusive && done }
        }
        while let done = try await pipeline.next() { allExclusive = allExclusive && done }
        #expect(allExclusive)
    }

    @Test("a serial pipeline runs one job at a time, in order")
    func serialOrder() async throws {
        let pipeline = BoundedPipeline<Void>(width: 4, order: .serial, executor: BlockingExecutor.workers[0])
        let running = Concurrency()
        let log = Shared<[Int]>([])
        for index in 0..<50 {
            _ = try await pipeline.submit { _ in
                running.enter()
                defer { running.leave() }
                usleep(useconds_t(50 * (index % 3)))
                log.update { $0.append(index) }
            }
        }
        try await pipeline.finish()
        #expect(log.value == Array(0..<50))
        #expect(running.most == 1)
    }

    @Test("the first failure in order is the one thrown; a serial queue fails every job after it")
    func failures() async throws {
        let parallel = BoundedPipeline<Int>(width: 4, executors: Self.executors)
        await #expect(throws: JobFailure(index: 2)) {
            for index in 0..<10 {
                _ = try await parallel.submit { _ in
                    if index == 2 || index == 5 { throw JobFailure(index: index) }
                    return index
                }
            }
            try await parallel.finish()
        }
        await parallel.cancel()

        let serial = BoundedPipeline<Void>(width: 8, order: .serial, executor: BlockingExecutor.workers[1])
        let ran = Shared<[Int]>([])
        for index in 0..<6 {
            serial.start { _ in
                if index == 1 { throw JobFailure(index: 1) }
                ran.update { $0.append(index) }
            }
        }
        await #expect(throws: JobFailure(index: 1)) { try await serial.finish() }
        #expect(ran.value == [0], "jobs after a failed one must not run")
    }

    @Test("cancel drops the jobs not started and returns only when none runs")
    func cancelWaits() async throws {
        let pipeline = BoundedPipeline<Void>(width: 2, order: .serial, executor: BlockingExecutor.workers[0])
        let started = Shared(0)
        let finished = Shared(0)
        for _ in 0..<2 {
            pipeline.start { _ in
                started.update { $0 += 1 }
                usleep(300_000)
                finished.update { $0 += 1 }
            }
        }
        // Cancel while the first job runs (waiting for it to start, however loaded the machine).
        let deadline = Date().addingTimeInterval(30)
        while started.value == 0, Date() < deadline { usleep(1_000) }
        await pipeline.cancel()
        // The running job completed before cancel returned; the queued one never started.
        #expect(started.value == finished.value)
        #expect(started.value == 1)
        #expect(pipeline.count == 0)
    }

    @Test("cancelling the caller's task stops the wait and the jobs in flight")
    func callerCancellation() async throws {
        let task = Task {
            let pipeline = BoundedPipeline<Int>(width: 2, executors: Self.executors)
            var taken = 0
            for index in 0..<1_000_000 {
                if try await pipeline.submit({ _ in usleep(1_000); return index }) != nil { taken += 1 }
            }
            return taken
        }
        usleep(50_000)
        task.cancel()
        await #expect(throws: CancellationError.self) { _ = try await task.value }
    }
}

/// A value the test and the jobs share, behind a lock.
private final class Shared<Value: Sendable>: Sendable {
    private let state: Mutex<Value>
    init(_ value: Value) { state = Mutex(value) }
    var value: Value { state.withLock { $0 } }
    @discardableResult
    func update<R: Sendable>(_ body: (inout Value) -> R) -> R { state.withLock { body(&$0) } }
}
