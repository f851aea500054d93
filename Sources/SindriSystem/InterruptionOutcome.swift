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
