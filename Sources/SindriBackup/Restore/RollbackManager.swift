import Foundation
import SindriArchive
#if canImport(Glibc)
import Glibc
import SindriSystem
#endif

/// A pre-restore snapshot and the state of the restore it belongs to (`sindri rollback --list`).
public struct RestoreSnapshotInfo: Sendable {
    public var identifier: String
    /// Relative to the home.
    public var path: String
    public var createdAt: Date
    public var sizeBytes: UInt64
    /// `committed`, `rolling back`, `rolled back`, `partially rolled back: run sindri rollback again`, ...
    public var status: String
    /// The archive the restore came from, as the journal names it.
    public var archive: String = ""
    /// How many home paths the restore changed.
    public var pathCount: Int = 0
}

/// Undoes restores: the library behind `sindri rollback`.
public struct RollbackManager: Sendable {
    public let home: String

    public init(home: String) { self.home = home }

    /// The home's snapshots, oldest first. Reads only: creates nothing, not even `.sindri`.
    public func list() async throws -> [RestoreSnapshotInfo] {
        let home = self.home
        return try await BlockingExecutor.shared.run {
            let fd = try ArchiveBuilder.openHome(home)
            defer { close(fd) }
            return RestoreRecovery.snapshots(home: fd)
        }
    }

    /// Undoes the unfinished restore if there is one, else finishes an interrupted rollback,
    /// else rolls back the most recent completed restore (or the one whose snapshot id, or an
    /// unambiguous prefix of it, is given), keeping whatever changed since the restore.
    ///
    /// With `dryRun` it only reports what it would do and writes nothing (no lock either, so it
    /// never creates `.sindri`). `confirm` is shown the preview before anything changes and may
    /// cancel (a `cancelled` error). Stops at SIGINT/SIGTERM between batches; the journal then
    /// says "partially rolled back" and the next call finishes the job.
    public func rollback(snapshot: String?, dryRun: Bool = false,
                         confirm: (@Sendable (RollbackReport) -> Bool)? = nil,
                         progress: (@Sendable (Int, Int, String) -> Void)? = nil) async throws -> RollbackReport {
        let home = self.home
        return try await BlockingExecutor.shared.run {
            let fd = try ArchiveBuilder.openHome(home)
            defer { close(fd) }
            if dryRun || (try? Syscalls.lstatAt(fd, TOOL_STATE_DIRECTORY)) == nil {
                // Nothing was ever restored here (no `.sindri`), or a query: no lock, no writes.
                return try RestoreRecovery.rollback(home: fd, identifier: snapshot, dryRun: true, interruptible: true, confirm: nil, progress: nil)
                    .asDryRun(dryRun)
            }
            let lock = try HomeLock.acquire(home: fd)
            defer { lock.release() }
            try Interruption.checkpoint()
            let report = try RestoreRecovery.rollback(home: fd, identifier: snapshot, dryRun: false, interruptible: true, confirm: confirm, progress: progress)
            PointOfNoReturn.pass("the rollback had already finished when the signal arrived")
            return report
        }
    }
}

extension RollbackReport {
    fileprivate func asDryRun(_ flag: Bool) -> RollbackReport {
        var copy = self
        copy.dryRun = flag
        return copy
    }
}
