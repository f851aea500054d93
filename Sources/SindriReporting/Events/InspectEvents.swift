import Foundation
import SindriArchive
import SindriBackup

// The events `sindri list` and `sindri bench` report.

extension TarEntry {
    /// The `item` event `list` gives a member: action `list`, type, mode, size (for content-bearing
    /// kinds), mtime, uid, gid and link target.
    public var listItemEvent: SindriEvent {
        var item = SindriEvent.Item(
            action: "list", path: PathBytes.display(path), type: kind.eventType,
            size: kind.carriesContent ? size : nil, mode: mode,
            mtime: EventTime.rfc3339(unixSeconds: modificationTime), uid: uid, gid: gid,
            linkTarget: linkTarget.isEmpty ? nil : PathBytes.display(linkTarget))
        item.pathBytes = PathBytes.exactBytesField(path)
        return .item(item)
    }
}

extension ArchiveListing {
    /// The `summary` event of `list`: counts, the manifest as stored, and in `details` how much of
    /// the archive was read (`compressed_bytes_read`, `blocks_skipped`, `stopped_at_trailer`) and,
    /// for an archive written to a pipe, `backup_summary` (its `.backup-summary.json`).
    public func summaryEvent(archivePath: String?, startedAt: Date) -> SindriEvent {
        var summary = SindriEvent.Summary(command: "list", dryRun: false, exitCode: 0)
        summary.archivePath = archivePath
        summary.members = members
        summary.files = files
        summary.totalBytes = contentBytes
        summary.archiveBytes = archiveBytes
        summary.startedAt = EventTime.rfc3339(startedAt)
        summary.durationSeconds = EventTime.seconds(Date().timeIntervalSince(startedAt))
        summary.manifest = manifest.flatMap { try? JSONValue(encoding: $0) }
        summary.profile = manifest?.profile
        var details: [String: JSONValue] = [
            "compressed_bytes_read": .unsigned(compressedBytesRead),
            "blocks_skipped": .integer(Int64(blocksSkipped)),
            "stopped_at_trailer": .bool(stoppedAtTrailer),
        ]
        // An archive written to a pipe: its final figures and checksum, from the trailer.
        if let backupSummary = self.summary { details["backup_summary"] = try? JSONValue(encoding: backupSummary) }
        summary.details = .object(details)
        return .summary(summary)
    }
}

extension BenchReport {
    /// The `summary` event of `bench`: the whole report in `details`, as `--format json` writes it.
    public func summaryEvent(exitCode: Int32) -> SindriEvent {
        var summary = SindriEvent.Summary(command: "bench", dryRun: false, exitCode: exitCode)
        summary.files = files
        summary.members = members
        summary.totalBytes = contentBytes
        summary.profile = profile
        summary.home = tree
        summary.startedAt = startedAt
        summary.details = try? JSONValue(encoding: self)
        return .summary(summary)
    }
}
