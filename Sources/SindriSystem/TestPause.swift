import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Test hook, compiled into debug builds only (the end-to-end tests run the debug binary):
/// `SINDRI_TEST_PAUSE=<point>:<fifo>` makes a restore stop at the named point, tell the test
/// by writing `<point>` into the FIFO, and wait until the test opens the FIFO for writing and
/// closes it. The race tests use it to swap entries of the home at the exact moment an attacker
/// would need (a window of microseconds otherwise), so each race is reproduced every time.
///
/// Points: `locked` (lock taken, nothing staged), `planned` (plan made, no snapshot yet),
/// `snapshotted` (snapshot written, no journal yet), `before-apply` (snapshot and journal written, nothing applied),
/// `applying` (after each batch of steps, so the first pause has some applied and some not), `before-attributes` (every
/// step taken, created directories not yet given their mode).
package enum TestPause {
    package static func reach(_ point: String) {
        #if DEBUG
        guard let raw = getenv("SINDRI_TEST_PAUSE") else { return }
        let value = String(cString: raw)
        guard let colon = value.firstIndex(of: ":"), value[..<colon] == point else { return }
        let fifo = String(value[value.index(after: colon)...])
        let writer = open(fifo, O_WRONLY | O_CLOEXEC)
        guard writer >= 0 else { return }
        let line = Array((point + "\n").utf8)
        _ = line.withUnsafeBytes { write(writer, $0.baseAddress, $0.count) }
        close(writer)
        let reader = open(fifo, O_RDONLY | O_CLOEXEC)
        guard reader >= 0 else { return }
        var byte: UInt8 = 0
        while read(reader, &byte, 1) > 0 {}
        close(reader)
        #endif
    }
}

/// The second test hook, for the signal tests, compiled into debug builds only: with `SINDRI_TEST_PAUSE_AT=<point>` in the environment
/// the engine stops the first time it reaches that point (or the Nth time, with
/// `SINDRI_TEST_PAUSE_COUNT=N`), creates the file named by
/// `SINDRI_TEST_PAUSE_FILE` (so the test knows where it is), and waits there (at most 60 s)
/// until a signal asks it to stop; then it goes on, and the next checkpoint sees the request.
/// Without the variables, or at any other point, it does nothing. Points: `read` (stage 1, after
/// the first data block was parsed and staged), `planned` (after stage 2), `snapshot` (the
/// snapshot written, the journal not begun), `list` (after the manifest), `rollback` (before
/// each undo operation of a completed restore).
extension TestPause {
    private static let signalEnvironment = ProcessInfo.processInfo.environment
    private static let signalPoint = signalEnvironment["SINDRI_TEST_PAUSE_AT"]
    private static let count = signalEnvironment["SINDRI_TEST_PAUSE_COUNT"].flatMap { Int($0) } ?? 1
    private static let arrivals = Atomic<Int>(0)

    package static func here(_ name: String) {
        #if DEBUG
        guard let signalPoint, signalPoint == name else { return }
        guard arrivals.add(1, ordering: .relaxed).newValue == count else { return }
        if let file = signalEnvironment["SINDRI_TEST_PAUSE_FILE"] {
            // A test hook: a file that cannot be created makes the test time out, which says enough.
            _ = FileManager.default.createFile(atPath: file, contents: Data(name.utf8))
        }
        let deadline = Date().addingTimeInterval(60)
        while !Interruption.isRequested, Date() < deadline { usleep(5_000) }
        #endif
    }
}
