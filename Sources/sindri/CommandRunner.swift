import ArgumentParser
import Dispatch
import Foundation
import SindriBackup
#if canImport(Glibc)
import Glibc
#endif

/// Runs a command's work as a cancellable task: SIGINT and SIGTERM cancel it (the engine then
/// removes partial output) and the process exits 130 or 143; engine errors become one line on
/// stderr and the documented exit status.
enum CommandRunner {
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    static func run(_ work: @escaping @Sendable () async throws -> ExitStatus) async throws {
        let task = Task { try await work() }
        let received = SignalBox()
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                received.set(signalNumber)
                task.cancel()
            }
            source.resume()
            sources.append(source)
        }
        let status: ExitStatus
        do {
            status = try await task.value
        } catch let error as SindriError {
            if let signalNumber = received.value { throw ExitCode(signalNumber == SIGINT ? 130 : 143) }
            printError("sindri: error: \(error.message)")
            status = ExitStatus.of(error)
        } catch is CancellationError {
            let signalNumber = received.value ?? SIGINT
            printError("sindri: interrupted; partial output removed")
            status = signalNumber == SIGINT ? .interrupted : .terminated
        } catch let error as ExitCode {
            throw error
        } catch {
            if let signalNumber = received.value {
                printError("sindri: interrupted; partial output removed")
                throw ExitCode(signalNumber == SIGINT ? 130 : 143)
            }
            printError("sindri: error: \(error)")
            status = .failure
        }
        if status != .success { throw ExitCode(status.rawValue) }
    }
}

/// The signal that stopped the run, shared with the signal handler.
final class SignalBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Int32?

    func set(_ value: Int32) { lock.lock(); stored = value; lock.unlock() }
    var value: Int32? { lock.lock(); defer { lock.unlock() }; return stored }
}
