/// The engine's one way to run work in parallel with a bound: at most `width` jobs in flight,
/// one more started as the oldest is taken, outputs handed back in submission order.
///
/// Why one mechanism: every parallel stage (inflating archive members, hashing the data members,
/// the staging lanes, the identical-file check, compressing snapshot and backup blocks) needs the
/// same three things: a fixed bound on what is in flight, so memory stays flat whatever the
/// archive or home holds; a fixed order of results, because tar streams are ordered; and a stop
/// that reaches the workers (a signal or task cancellation), so a restore can roll back within
/// one batch. Jobs are plain synchronous functions over owned buffers (inflate, SHA256, a batch of
/// writes); the pipeline only decides where and when they run.
///
/// Two orders:
/// - `.parallel`: jobs run concurrently on `executor` (the global concurrent executor for
///   computing; a ``BlockingExecutor/workers`` thread for blocking calls). `slot` (0..<width) is
///   unique among the jobs in flight, so a job may use per-slot state (a decompressor) without
///   a lock.
/// - `.serial`: each job starts when the one before it has finished: a fixed-depth queue in front
///   of one consumer that owns its state (a staging lane's open file and hasher, a running digest).
///   A failed job fails every job after it with the same error.
///
/// Usage (the same loop as a task group window, without holding the group open across calls):
///
///     let pipeline = BoundedPipeline<[UInt8]>(width: 8)
///     for block in blocks {
///         if let done = try await pipeline.submit({ slot in try compress(block, with: compressors[slot]) }) {
///             try write(done)          // the oldest output, in order, once `width` are in flight
///         }
///     }
///     while let done = try await pipeline.next() { try write(done) }
///
/// A pipeline is used by one task (it is not `Sendable`); its methods run on the caller's
/// executor. Dropping it, or calling ``cancel()``, cancels the jobs not yet started; ``cancel()``
/// also waits until no job runs any more, so buffers a job points into can be released.
public final class BoundedPipeline<Output: Sendable> {
    /// How jobs relate to each other.
    public enum Order: Sendable {
        /// Jobs run at the same time, up to `width`.
        case parallel
        /// Each job starts after the previous one finished (a queue of depth `width`).
        case serial
    }

    /// Jobs in flight at most.
    public let width: Int
    public let order: Order
    /// Where jobs run: slot `s` on `executors[s % executors.count]`.
    private let executors: [any TaskExecutor]
    /// Jobs started and not yet taken, oldest first (from `head`).
    private var inFlight: [Task<Output, Error>] = []
    private var head = 0
    private var submitted = 0

    /// - Parameters:
    ///   - width: jobs in flight at most (at least 1).
    ///   - order: `.parallel` or `.serial`.
    ///   - executor: where jobs run; the global concurrent executor when nil (for computing).
    ///     Blocking system calls belong on a ``BlockingExecutor``, never on the cooperative pool.
    public init(width: Int, order: Order = .parallel, executor: (any TaskExecutor)? = nil) {
        self.width = max(1, width)
        self.order = order
        executors = [executor ?? globalConcurrentExecutor]
    }

    /// Parallel jobs spread over several single-thread executors: slot `s` runs on
    /// `executors[s % executors.count]` (e.g. ``BlockingExecutor/workers`` for blocking reads).
    public init(width: Int, executors: [any TaskExecutor]) {
        precondition(!executors.isEmpty, "a pipeline needs an executor")
        self.width = max(1, width)
        order = .parallel
        self.executors = executors
    }

    deinit {
        for task in inFlight[head...] { task.cancel() }
    }

    /// Jobs started and not yet taken with ``next()``.
    public var count: Int { inFlight.count - head }

    /// Starts `job`. When `width` jobs are already in flight, first waits for the oldest and
    /// returns its output (nil otherwise), so a loop of `submit` keeps exactly `width` running.
    ///
    /// - Throws: the oldest job's error, or `CancellationError` on a stop request.
    nonisolated(nonsending) public func submit(_ job: @escaping @Sendable (_ slot: Int) throws -> Output) async throws -> Output? {
        var taken: Output?
        if count >= width { taken = try await next() }
        start(job)
        return taken
    }

    /// Starts `job` without ever waiting, for callers that bound the queue themselves (through
    /// ``count``) and must not suspend at this point.
    public func start(_ job: @escaping @Sendable (_ slot: Int) throws -> Output) {
        let slot = submitted % width
        submitted += 1
        let previous = order == .serial ? inFlight.last : nil
        let task = Task(executorPreference: executors[slot % executors.count]) { () throws -> Output in
            if let previous { _ = try await previous.value }
            // A stop request or a failure elsewhere: the job is dropped before it starts.
            try Interruption.checkpoint()
            return try job(slot)
        }
        inFlight.append(task)
    }

    /// Waits for the oldest job in flight and returns its output; nil when none is in flight.
    ///
    /// - Throws: the job's error, or `CancellationError` on a stop request (the caller's task
    ///   cancelled: the jobs in flight are cancelled too).
    nonisolated(nonsending) public func next() async throws -> Output? {
        guard head < inFlight.count else { return nil }
        let task = inFlight[head]
        let pending = Array(inFlight[head...])
        let output = try await withTaskCancellationHandler {
            try await task.value
        } onCancel: {
            for task in pending { task.cancel() }
        }
        head += 1
        if head == inFlight.count {
            inFlight.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 64 {
            inFlight.removeFirst(head)
            head = 0
        }
        return output
    }

    /// Waits for every job in flight, dropping their outputs; throws the first failure.
    nonisolated(nonsending) public func finish() async throws {
        while try await next() != nil {}
    }

    /// Cancels the jobs in flight and waits until none of them runs; their outputs and errors
    /// are dropped. For failure paths: after it, nothing the jobs point into is in use.
    nonisolated(nonsending) public func cancel() async {
        let pending = inFlight[head...]
        for task in pending { task.cancel() }
        for task in pending { _ = await task.result }
        inFlight.removeAll()
        head = 0
    }
}
