import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The one place where cleanup that fails is reported instead of dropped.
///
/// Cleanup runs on paths that are already failing or finishing (a refused restore removing its
/// journal, a failed snapshot removing its temporary file, a rollback removing `rollback-tmp/`):
/// it cannot throw over the error the user is about to read, but it must not fail silently
/// either, or a leftover file or a home whose times were not set back goes unnoticed. Each
/// failure is recorded here with what was being done; the command line prints every recorded
/// problem as a warning before it exits.
public enum CleanupLog {
    private static let problems = Mutex<[String]>([])

    /// Records `what` when `result` is not 0, with the current `errno`. `ENOENT` is not a
    /// problem: what was to be removed is already gone.
    @discardableResult
    package static func check(_ result: Int32, _ what: @autoclosure () -> String) -> Bool {
        guard result != 0 else { return true }
        let code = errno
        guard code != ENOENT else { return true }
        let reason = String(cString: strerror(code))
        let line = "\(what()): \(reason)"
        problems.withLock { $0.append(line) }
        return false
    }

    /// Records a failed cleanup that is not a system call (an upload that could not be aborted).
    package static func record(_ line: String) {
        problems.withLock { $0.append(line) }
    }

    /// The problems recorded so far, oldest first; forgets them.
    public static func drain() -> [String] {
        problems.withLock { recorded in
            defer { recorded.removeAll() }
            return recorded
        }
    }
}
