import ArgumentParser
import Dispatch
import Foundation
import SindriBackup
#if canImport(Glibc)
import Glibc
#endif

/// Runs a command's work as a cancellable task: SIGINT and SIGTERM cancel it (the engine then
/// removes partial output) and the process exits 130 or 143; engine errors become one line on
/// stderr (or an `exit_error` event with `--json`) and the documented exit status.
///
/// Usage: build a `Reporter` from the command's `OutputOptions`, then
/// `try await CommandRunner.run(reporter: reporter) { ...; return .success }`.
enum CommandRunner {
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    static func run(reporter: Reporter? = nil, _ work: @escaping @Sendable () async throws -> ExitStatus) async throws {
        let reporter = reporter ?? Reporter(command: "sindri", json: false, jsonOnStandardError: false)
        let task = Task { try await work() }
        let received = SignalBox()
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                received.set(signalNumber)
                Interruption.request(signal: signalNumber)
                task.cancel()
            }
            source.resume()
            sources.append(source)
        }
        let status: ExitStatus
        do {
            status = try await task.value
        } catch let error as ExitCode {
            reporter.flush()
            throw error
        } catch {
            if let signalNumber = received.value {
                let status: ExitStatus = signalNumber == SIGINT ? .interrupted : .terminated
                reporter.interrupted(status: status)
                throw ExitCode(status.rawValue)
            }
            status = Self.report(error, to: reporter)
        }
        reporter.flush()
        if status != .success { throw ExitCode(status.rawValue) }
    }

    /// Reports a failure and returns its exit status.
    static func report(_ error: Error, to reporter: Reporter) -> ExitStatus {
        switch error {
        case let error as SindriError:
            let status = ExitStatus.of(error)
            reporter.failure(error.message, status: status, error: error)
            return status
        case is CancellationError:
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

/// The signal that stopped the run, shared with the signal handler.
final class SignalBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Int32?

    func set(_ value: Int32) { lock.lock(); stored = value; lock.unlock() }
    var value: Int32? { lock.lock(); defer { lock.unlock() }; return stored }
}
