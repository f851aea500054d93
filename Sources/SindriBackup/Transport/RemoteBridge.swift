import Dispatch
import Foundation
import SindriRemote
import SindriSystem

/// Calls into the async remote clients from the engine's blocking I/O thread.
///
/// The archive writer and readers run on `BlockingExecutor`'s thread and call their output and
/// input synchronously; the S3 and HTTP clients are async (async-http-client on NIO's event
/// loops). The call runs in a detached task (not on the waiting thread, which would deadlock:
/// a plain `Task {}` inherits the blocking executor as its preference) while the I/O thread
/// waits, which is what that thread is for.
enum RemoteBridge {
    static func wait<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) throws -> T {
        BlockingWaits.assertAllowed("a remote call")
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            do { box.set(.success(try await operation())) } catch { box.set(.failure(error)) }
            done.signal()
        }
        done.wait()
        return try box.get()
    }

    /// A remote failure in the engine's terms: a missing bucket, object or URL and a bad
    /// location are usage errors (as a missing local archive is); refused credentials, a wrong
    /// region and a network that failed after every retry are failures.
    static func engineError(_ error: Error) -> Error {
        guard let remote = error as? RemoteError else { return error }
        switch remote.kind {
        case .invalidLocation, .notFound: return SindriError(.invalidArgument, remote.message)
        case .cancelled: return CancellationError()
        default: return SindriError(.io, remote.message)
        }
    }
}

/// A result handed from the detached task to the waiting thread; the lock makes the hand-over
/// safe (the semaphore orders it too, but the lock states it).
final class ResultBox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<T, Error>?

    func set(_ value: Result<T, Error>) {
        lock.lock()
        result = value
        lock.unlock()
    }

    func get() throws -> T {
        lock.lock()
        defer { lock.unlock() }
        return try result!.get()
    }
}
