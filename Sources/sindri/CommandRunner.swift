import ArgumentParser
import Dispatch
import Foundation
import SindriBackup
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
        let task = Task { try await work() }
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                Interruption.request(signal: signalNumber)
                task.cancel()
            }
            source.resume()
            sources.append(source)
        }
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
