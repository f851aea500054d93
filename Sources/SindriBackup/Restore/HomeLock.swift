import Foundation
import SindriArchive
#if canImport(Glibc)
import Glibc
import SindriSystem
#endif

/// One restore or rollback at a time per home: an exclusive `flock` on `<home>/.sindri/lock`.
/// The kernel drops the lock when its process dies, so a lock left by a killed run is never
/// stale: the file may remain, the lock does not.
final class HomeLock {
    private let home: Int32
    private let descriptor: Int32
    /// `.sindri`, opened beneath the home without following symlinks: the lock file is made and
    /// removed relative to it (see `ToolState`).
    let toolDescriptor: Int32
    /// Whether `.sindri` did not exist before this run.
    let createdToolDirectory: Bool

    private init(home: Int32, descriptor: Int32, toolDescriptor: Int32, createdToolDirectory: Bool) {
        self.home = home
        self.descriptor = descriptor
        self.toolDescriptor = toolDescriptor
        self.createdToolDirectory = createdToolDirectory
    }

    static func acquire(home: Int32) throws -> HomeLock {
        let tool = try ToolState.open(home)
        let fd: Int32
        do { fd = try Syscalls.openAt(tool.descriptor, "lock", O_RDWR | O_CREAT | O_NOFOLLOW, mode: 0o600) } catch let failure as Syscalls.Failure {
            if tool.created { ToolState.removeIfEmpty(home, tool.descriptor) }
            close(tool.descriptor)
            throw failure.error(path: "\(TOOL_STATE_DIRECTORY)/lock")
        }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            close(fd)
            close(tool.descriptor)
            throw SindriError(.locked, "another sindri restore or rollback is running on this home; try again when it has finished")
        }
        return HomeLock(home: home, descriptor: fd, toolDescriptor: tool.descriptor, createdToolDirectory: tool.created)
    }

    /// After a refused restore: if this run created `.sindri` only for its lock, remove both, so
    /// the home is exactly as it was.
    func removeToolDirectoryIfUnused() {
        guard createdToolDirectory else { return }
        CleanupLog.check(unlinkat(toolDescriptor, "lock", 0), "could not remove \(TOOL_STATE_DIRECTORY)/lock (remove it by hand)")
        ToolState.removeIfEmpty(home, toolDescriptor)
    }

    func release() {
        flock(descriptor, LOCK_UN)
        close(descriptor)
        close(toolDescriptor)
    }
}
