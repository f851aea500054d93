import Foundation
import Synchronization

/// A command stopped by a signal, with what it left behind in words (`sindri rollback` stopped
/// part way: which state the journal is in and how to finish).
public struct InterruptedWork: Error, Sendable {
    /// One sentence for the user, printed before the "interrupted" line.
    public var state: String

    public init(_ state: String) { self.state = state }
}

/// The moment after which a stop request no longer undoes the running command's work: a
/// restore whose commit has started, a rollback that has finished.
///
/// The command line asks it when a signal arrived but the work returned normally: past this
/// point the work stands and the command exits with its own status and a note saying so (a
/// 130/143 would tell a script that the restore did not happen, or make it run `sindri rollback`
/// again and undo one restore too many). Before it, a signal always means exit 130/143.
public enum PointOfNoReturn {
    private static let passedNote = Mutex<String?>(nil)

    /// Records that the work can no longer be undone by a signal; `note` says what stands.
    public static func pass(_ note: String) {
        passedNote.withLock { $0 = note }
    }

    /// What stands, once the point was passed; nil before.
    public static var note: String? {
        passedNote.withLock { $0 }
    }

    /// Forgets it; for tests that run several commands in one process.
    public static func reset() {
        passedNote.withLock { $0 = nil }
    }
}

/// Test hook, for the signal tests only: with `SINDRI_TEST_PAUSE_AT=<point>` in the environment
/// the engine stops the first time it reaches that point (or the Nth time, with
/// `SINDRI_TEST_PAUSE_COUNT=N`), creates the file named by
/// `SINDRI_TEST_PAUSE_FILE` (so the test knows where it is), and waits there (at most 60 s)
/// until a signal asks it to stop; then it goes on, and the next checkpoint sees the request.
/// Without the variables, or at any other point, it does nothing. Points: `read` (stage 1, after
/// the first data block was parsed and staged), `planned` (after stage 2), `snapshot` (the
/// snapshot written, the journal not begun), `list` (after the manifest), `rollback` (before
/// each undo operation of a completed restore).
enum TestPause {
    private static let environment = ProcessInfo.processInfo.environment
    private static let point = environment["SINDRI_TEST_PAUSE_AT"]
    private static let count = environment["SINDRI_TEST_PAUSE_COUNT"].flatMap { Int($0) } ?? 1
    private static let arrivals = Atomic<Int>(0)

    static func here(_ name: String) {
        guard let point, point == name else { return }
        guard arrivals.add(1, ordering: .relaxed).newValue == count else { return }
        if let file = environment["SINDRI_TEST_PAUSE_FILE"] {
            // A test hook: a file that cannot be created makes the test time out, which says enough.
            _ = FileManager.default.createFile(atPath: file, contents: Data(name.utf8))
        }
        let deadline = Date().addingTimeInterval(60)
        while !Interruption.isRequested, Date() < deadline { usleep(5_000) }
    }
}
