// Only with the ObjectStorage package trait (see Package.swift): the S3 and HTTPS locations.
#if ObjectStorage
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
    ///
    /// With `stoppable`, a stop request (SIGINT/SIGTERM, cancellation) cancels the call and
    /// the wait ends as soon as the call does: a part upload or a range stalled on the network
    /// would otherwise hold the signal back for the read timeout times every retry. Calls that
    /// must run to the end (an abort, a completion past which the object exists) leave it off.
    static func wait<T: Sendable>(stoppable: Bool = false, _ operation: @escaping @Sendable () async throws -> T) throws -> T {
        BlockingWaits.assertAllowed("a remote call")
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        let task = Task.detached {
            do { box.set(.success(try await operation())) } catch { box.set(.failure(error)) }
            done.signal()
        }
        if stoppable {
            while done.wait(timeout: .now() + .milliseconds(50)) == .timedOut {
                if Interruption.isRequested {
                    task.cancel()
                    done.wait()
                    break
                }
            }
        } else {
            done.wait()
        }
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
#endif
