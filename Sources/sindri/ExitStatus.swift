import ArgumentParser
import Foundation
import SindriBackup
import SindriSystem

/// Exit statuses, documented in `sindri --help` and the README. Never renumbered.
enum ExitStatus: Int32 {
    case success = 0
    case failure = 1
    /// A PATH given to `restore` matches nothing in the archive (GNU tar's "Not found in archive").
    case pathNotFound = 2
    case completedWithWarnings = 3
    case verificationFailed = 4
    case restoreRolledBack = 5
    case rollbackFailed = 6
    /// Another restore or rollback holds the home's lock (restic uses 11 for "failed to lock").
    case locked = 11
    case usage = 64
    case interrupted = 130
    case terminated = 143

    static let helpText = """
        EXIT STATUS:
          0    success
          1    failure (also: a restore declined at its prompt)
          2    a PATH given to restore is not in the archive (nothing
               was changed)
          3    completed with warnings: the archive is valid but
               incomplete (e.g. unreadable files were skipped), or a
               safe restore left conflicts; --dry-run returns what
               the real run would
          4    verification failed, or the archive is damaged
          5    restore failed and was rolled back
          6    restore failed and rollback failed too (the message
               names the snapshot)
          11   the home is locked by another restore or rollback
          64   usage error (bad option, missing or unusable path)
          130  interrupted by SIGINT (partial output removed)
          143  terminated by SIGTERM (partial output removed)
        """

    /// The status for an engine error.
    static func of(_ error: SindriError) -> ExitStatus {
        switch error.code {
        case .invalidArgument: return .usage
        case .verificationFailed, .archiveCorrupt, .unsafeArchive: return .verificationFailed
        case .rolledBack: return .restoreRolledBack
        case .rollbackFailed: return .rollbackFailed
        case .locked: return .locked
        default: return .failure
        }
    }
}

/// Writes one line to standard error.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
