import Synchronization

/// The user's request to stop the running command (SIGINT or SIGTERM), visible from every thread.
///
/// Task cancellation only reaches code that runs inside the cancelled task tree; the restore,
/// verify and rollback engines also run loops on threads of their own (staging lanes, inflate
/// workers, the blocking-I/O thread). The command line sets this flag from its signal handler, and
/// every long loop calls ``checkpoint()`` once per batch, so a signal stops the work within one
/// batch wherever it runs.
///
/// A rollback that a restore starts because of an interruption must not stop half way: it is what
/// makes the home safe again. Such code does not call ``checkpoint()``.
public enum Interruption {
    private static let requestedSignal = Atomic<Int32>(0)

    /// Records that `signalNumber` asked the command to stop. The first request wins.
    public static func request(signal signalNumber: Int32) {
        _ = requestedSignal.compareExchange(expected: 0, desired: signalNumber, ordering: .sequentiallyConsistent)
    }

    /// The signal that asked the command to stop, or `nil` while none has.
    public static var requested: Int32? {
        let value = requestedSignal.load(ordering: .sequentiallyConsistent)
        return value == 0 ? nil : value
    }

    /// Whether the command should stop: a signal arrived or the current task was cancelled.
    public static var isRequested: Bool {
        requested != nil || Task.isCancelled
    }

    /// Throws `CancellationError` when the command should stop. Call once per batch of work.
    public static func checkpoint() throws {
        if isRequested { throw CancellationError() }
    }

    /// Forgets a request; for tests that run several commands in one process.
    public static func reset() {
        requestedSignal.store(0, ordering: .sequentiallyConsistent)
    }
}
