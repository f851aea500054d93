import Dispatch

/// Runs blocking system calls on a dedicated serial thread instead of Swift's cooperative pool.
///
/// The cooperative pool has one thread per core (two here); a `write` to a slow pipe (`sindri
/// backup -o - | gpg ...`), an `fsync` of gigabytes or a long directory walk would park one of
/// them and halve the compression workers. Work submitted here runs in submission order.
public final class BlockingExecutor: Sendable {
    private let queue: DispatchQueue

    public init(label: String) {
        queue = DispatchQueue(label: label, qos: .userInitiated)
    }

    /// Runs `body` on the executor's thread and returns its result to the awaiting task.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try body() })
            }
        }
    }
}
