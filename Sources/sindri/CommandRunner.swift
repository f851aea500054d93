import ArgumentParser
import Dispatch
import Foundation
import SindriBackup
import Synchronization
#if canImport(Glibc)
import Glibc
import SindriSystem
#endif

/// Runs a command's work as a cancellable task: SIGINT and SIGTERM stop it and the process exits
/// 130 or 143; engine errors become one line on stderr (or an `exit_error` event with `--json`)
/// and the documented exit status.
///
/// A signal is delivered two ways: it cancels the task (seen by code running in it, including on
/// `BlockingExecutor`) and sets `Interruption` (seen by the engine's own worker threads, which
/// are outside the task). The exit status follows what the work did, not only whether it threw:
/// - it threw after the signal: 130/143, with the state it left when it says (a restore rolled
///   back, a rollback to finish); except a rollback that failed (6) or a failure past the point of
///   no return, which are reported as they are, since the user must act on them;
/// - it returned normally after the signal without passing `PointOfNoReturn`: still 130/143
///   (its output may be incomplete, and the user asked it to stop);
/// - it returned normally past `PointOfNoReturn` (a committed restore, a finished rollback, a
///   complete archive): its own status, with a note that the signal came too late to stop it.
/// Further signals are ignored: the rollback that makes the home safe runs to its end.
///
/// Usage: build a `Reporter` from the command's `OutputOptions`, then
/// `try await CommandRunner.run(reporter: reporter) { ...; return .success }`.
enum CommandRunner {
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    static func run(reporter: Reporter? = nil, _ work: @escaping @Sendable () async throws -> ExitStatus) async throws {
        let reporter = reporter ?? Reporter(command: "sindri", json: false, jsonOnStandardError: false)
        let running = RunningTask()
        await installSignalHandlers { signalNumber in
            Interruption.request(signal: signalNumber)
            running.cancel()
        }
        // The work starts only once both signals are handled: it may reach a point a signal is
        // meant to stop (the tests' pause hooks) within microseconds, before this thread runs on.
        let task = Task { try await work() }
        running.set(task)
        var status: ExitStatus
        do {
            status = try await task.value
            reportCleanupProblems(to: reporter)
        } catch let error as ExitCode {
            reportCleanupProblems(to: reporter)
            reporter.flush()
            throw error
        } catch {
            reportCleanupProblems(to: reporter)
            if let signalNumber = Interruption.requested, !mustReportDespiteSignal(error) {
                throw interrupted(by: signalNumber, state: (error as? InterruptedWork)?.state, reporter: reporter)
            }
            status = Self.report(error, to: reporter)
        }
        if let signalNumber = Interruption.requested {
            guard let note = PointOfNoReturn.note else {
                throw interrupted(by: signalNumber, state: nil, reporter: reporter)
            }
            reporter.warning("\(signalName(signalNumber)) ignored: \(note)")
        }
        reporter.flush()
        if status != .success { throw ExitCode(status.rawValue) }
    }

    /// The command's task, for the signal handler to cancel; a signal that came before the task
    /// existed cancels it as it is set.
    private final class RunningTask: Sendable {
        private let task = Mutex<Task<ExitStatus, Error>?>(nil)

        func set(_ newTask: Task<ExitStatus, Error>) {
            task.withLock { $0 = newTask }
            if Interruption.requested != nil { newTask.cancel() }
        }

        func cancel() {
            task.withLock { $0?.cancel() }
        }
    }

    /// Makes SIGINT and SIGTERM call `onSignal` from then on, never the default action (which
    /// kills the process with the signal's status instead of 130/143), and returns once the
    /// dispatch sources are registered.
    ///
    /// A signal source takes over the signal only when libdispatch registers it, on its manager
    /// thread, some time after `resume()`: it then installs its own handler, which forwards the
    /// signal to the source. Until then a plain handler records the request (`Interruption` is an
    /// atomic store, safe in a signal handler), so a signal in that window is neither fatal nor
    /// lost; `RunningTask.set` turns it into the cancellation.
    private static func installSignalHandlers(_ onSignal: @escaping @Sendable (Int32) -> Void) async {
        // The atomic is a lazily initialised global: touched here first, never in the handler.
        _ = Interruption.requested
        for signalNumber in [SIGINT, SIGTERM] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { Interruption.request(signal: $0) }
            action.sa_flags = SA_RESTART
            sigemptyset(&action.sa_mask)
            sigaction(signalNumber, &action, nil)
            await withCheckedContinuation { (registered: CheckedContinuation<Void, Never>) in
                let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
                source.setEventHandler { onSignal(signalNumber) }
                source.setRegistrationHandler { registered.resume() }
                source.resume()
                sources.append(source)
            }
        }
    }

    /// Cleanup that failed (a leftover file, a time not set back) is said before the outcome,
    /// as a warning naming what to remove by hand; it does not change the exit status.
    private static func reportCleanupProblems(to reporter: Reporter) {
        for problem in CleanupLog.drain() { reporter.warning(problem) }
    }

    /// Errors that say more than "interrupted": the home needs the user (a rollback that failed),
    /// or the work had passed its point of no return when it failed.
    private static func mustReportDespiteSignal(_ error: Error) -> Bool {
        if PointOfNoReturn.note != nil, !(error is CancellationError), !(error is InterruptedWork) { return true }
        if let error = error as? SindriError, ExitStatus.of(error) == .rollbackFailed { return true }
        return false
    }

    /// Reports an interruption (with the state the work left, when it said) and returns the exit code.
    private static func interrupted(by signalNumber: Int32, state: String?, reporter: Reporter) -> ExitCode {
        let status: ExitStatus = signalNumber == SIGINT ? .interrupted : .terminated
        if let state { reporter.warning("\(signalName(signalNumber)): \(state)") }
        reporter.interrupted(status: status)
        reporter.flush()
        return ExitCode(status.rawValue)
    }

    private static func signalName(_ signalNumber: Int32) -> String {
        signalNumber == SIGINT ? "SIGINT" : signalNumber == SIGTERM ? "SIGTERM" : "signal \(signalNumber)"
    }

    /// Reports a failure and returns its exit status.
    static func report(_ error: Error, to reporter: Reporter) -> ExitStatus {
        switch error {
        case let error as SindriError:
            let status = ExitStatus.of(error)
            reporter.failure(error.message, status: status, error: error)
            return status
        case is CancellationError, is InterruptedWork:
            // Cancelled without a signal (not expected from the command line): as for SIGINT.
            if let state = (error as? InterruptedWork)?.state { reporter.warning(state) }
            reporter.interrupted(status: .interrupted)
            return .interrupted
        case let error as ValidationError:
            reporter.failure(error.message, status: .usage, error: SindriError(.invalidArgument, error.message))
            return .usage
        default:
            reporter.failure("\(error)", status: .failure)
            return .failure
        }
    }
}
