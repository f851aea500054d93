import Foundation
import SindriArchive
import SindriBackup

// The events `sindri restore`, `sindri verify` and `sindri rollback` report.

extension ProgressSnapshot {
    /// A restore's (or verify's) progress report taken `elapsed` seconds after the start.
    public init(_ progress: RestoreProgress, elapsed: Double) {
        self.init(
            elapsed: elapsed, filesDone: progress.filesDone, filesTotal: progress.filesTotal,
            bytesDone: progress.bytesDone, bytesTotal: progress.bytesTotal, currentPath: progress.currentPath,
            phase: progress.phase.rawValue, counts: progress.phase == .reading)
    }
}

extension PlannedPath {
    /// The `item` event of one planned path: `action` is the plan's verb (`create`, `skip: exists`,
    /// ...), `message` the reason or where the current file is kept.
    public var itemEvent: SindriEvent {
        var message = reason
        if let backupPath {
            let kept = "the current file is kept as \(PathBytes.display(backupPath))"
            message = message.map { "\($0); \(kept)" } ?? kept
        }
        var item = SindriEvent.Item(action: action.rawValue, path: PathBytes.display(path), message: message)
        item.pathBytes = PathBytes.exactBytesField(path)
        return .item(item)
    }
}

extension RestoreResult {
    /// The `summary` event of `restore`: `files` (regular files written), the archive, the home,
    /// the manifest, and in `details` the count of each action keyed by ``RestoreAction/jsonKey``, `restored`, `skipped`, `conflicts` (paths left
    /// alone in safe mode because they differ), `type_conflicts` (of those), `conflict_paths` (the
    /// first 10), `protected`,
    /// `mode` and `snapshot_path` (absolute; absent for a dry run or when nothing was written).
    public func summaryEvent(
        archivePath: String?, home: String, mode: RestoreMode, startedAt: Date, exitCode: Int32
    ) -> SindriEvent {
        var summary = SindriEvent.Summary(command: "restore", dryRun: dryRun, exitCode: exitCode)
        // Regular files written, as `files` means for backup and verify; `restored` in the
        // details counts every path (directories and links included).
        summary.files = plan.filter { $0.action.writes && $0.isRegularFile }.count
        summary.archivePath = archivePath
        summary.home = home
        summary.profile = manifest.profile
        summary.manifest = try? JSONValue(encoding: manifest)
        summary.startedAt = EventTime.rfc3339(startedAt)
        summary.durationSeconds = EventTime.seconds(durationSeconds)
        // Each conflict is reported as a warning event too, so it counts as one.
        summary.warningCount = warnings.count + conflicts
        var counts: [String: Int] = [:]
        for item in plan { counts[item.action.jsonKey, default: 0] += 1 }
        let actions = counts.mapValues { JSONValue.integer(Int64($0)) }
        var details: [String: JSONValue] = [
            "mode": .string(mode.rawValue),
            "planned": .integer(Int64(plan.count)),
            "actions": .object(actions),
            "restored": .integer(Int64(restored)),
            "skipped": .integer(Int64(skipped)),
            "conflicts": .integer(Int64(conflicts)),
            "type_conflicts": .integer(Int64(typeConflicts)),
            // Every conflicting path is also a `warning` event; the summary repeats the first 10.
            "conflict_paths": .array(conflictPaths.prefix(10).map { .string(PathBytes.display($0)) }),
            "protected": .integer(Int64(protected)),
        ]
        if let snapshotPath {
            details["snapshot_path"] = .string(home.hasSuffix("/") ? home + snapshotPath : home + "/" + snapshotPath)
        }
        summary.details = .object(details)
        return .summary(summary)
    }
}

extension VerificationReport {
    /// The `summary` event of `verify`: `members`, `files`, `total_bytes` (file content),
    /// `archive_bytes` (compressed), the manifest, and in `details` `gzip_members`,
    /// `checksums_checked`, `archive_checksum_verified`.
    public func summaryEvent(archivePath: String?, startedAt: Date) -> SindriEvent {
        var summary = SindriEvent.Summary(command: "verify", dryRun: false, exitCode: 0)
        summary.archivePath = archivePath
        summary.members = members
        summary.files = regularFiles
        summary.totalBytes = contentBytes
        summary.archiveBytes = compressedBytes
        summary.profile = manifest.profile
        summary.manifest = try? JSONValue(encoding: manifest)
        summary.startedAt = EventTime.rfc3339(startedAt)
        summary.durationSeconds = EventTime.seconds(Date().timeIntervalSince(startedAt))
        summary.warningCount = 0
        summary.details = .object([
            "gzip_members": .integer(Int64(gzipMembers)),
            "checksums_checked": .integer(Int64(checkedChecksums)),
            "archive_checksum_verified": .bool(archiveChecksumVerified),
        ])
        return .summary(summary)
    }
}

extension RestoreSnapshotInfo {
    /// The `item` event `rollback --list` gives a snapshot: action `snapshot`, its path (relative
    /// to the home), size, creation time, and `message` `<identifier>: <status>`.
    public var itemEvent: SindriEvent {
        .item(SindriEvent.Item(
            action: "snapshot", path: path, size: sizeBytes, mtime: EventTime.rfc3339(createdAt),
            message: "\(identifier): \(status)"))
    }

    /// The snapshot as an object of `rollback --list`'s summary details.
    public var detailsValue: JSONValue {
        .object([
            "identifier": .string(identifier), "path": .string(path), "created_at": .string(EventTime.rfc3339(createdAt)),
            "size_bytes": .unsigned(sizeBytes), "status": .string(status),
            "archive": .string(archive), "path_count": .integer(Int64(pathCount)),
        ])
    }
}

extension RollbackReport {
    /// `sindri rollback --dry-run`'s listing: `undo`, `keep` (with where it goes), `leave` and
    /// `restore` lines, `ACTION<TAB>PATH` like `restore --dry-run`.
    public var planLines: [String] {
        if let note { return ["note\t\(note)"] }
        return undone.map { "undo\t\($0)" } + kept.map { "keep\t\($0.path)\t\($0.keptAs)" }
            + left.map { "leave\t\($0)" } + restored.map { "restore\t\($0)" }
    }

    /// The summary details of `sindri rollback`: every removed, kept, left and restored path.
    public var detailsValue: JSONValue {
        var fields: [String: JSONValue] = [
            "message": .string(message),
            "transaction_id": .string(transactionID),
            "archive": .string(archive),
            "snapshot": .string(snapshot),
            "undone_count": .integer(Int64(undone.count)),
            "kept_count": .integer(Int64(kept.count)),
            "left_count": .integer(Int64(left.count)),
            "restored_count": .integer(Int64(restored.count)),
            "undone": .array(undone.map { .string($0) }),
            "kept": .array(kept.map { .object(["path": .string($0.path), "kept_as": .string($0.keptAs)]) }),
            "left": .array(left.map { .string($0) }),
            "restored": .array(restored.map { .string($0) }),
        ]
        if let note { fields["note"] = .string(note) }
        return .object(fields)
    }
}
