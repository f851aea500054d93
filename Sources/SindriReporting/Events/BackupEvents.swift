import Foundation
import SindriArchive
import SindriBackup

// The events `sindri backup` reports, made from the engine's own results.

extension TarEntryKind {
    /// The `type` an `item` event gives this kind.
    public var eventType: String {
        switch self {
        case .regular: return "file"
        case .directory: return "directory"
        case .symbolicLink: return "symlink"
        case .hardLink: return "hardlink"
        case .characterDevice: return "chardev"
        case .blockDevice: return "blockdev"
        case .fifo: return "fifo"
        case .other: return "other"
        }
    }
}

extension WalkDecision {
    /// `include` or `exclude`, with the rule that decided; `entry` adds type, size, mode and mtime.
    public func itemEvent(entry: TarEntry? = nil) -> SindriEvent {
        var item = SindriEvent.Item(
            action: included ? "include" : "exclude", path: PathBytes.display(path),
            type: entry?.kind.eventType ?? (isDirectory ? "directory" : nil), rule: rule)
        item.pathBytes = PathBytes.exactBytesField(path)
        if let entry {
            if entry.kind == .regular { item.size = entry.size }
            item.mode = entry.mode
            item.mtime = EventTime.rfc3339(unixSeconds: entry.modificationTime)
            if !entry.linkTarget.isEmpty { item.linkTarget = PathBytes.display(entry.linkTarget) }
        }
        return .item(item)
    }

    /// The `+`/`-` line of `sindri backup --dry-run -v`: mark, escaped path (`/` after a
    /// directory), tab, the deciding rule in parentheses.
    public var textLine: String {
        "\(included ? "+" : "-") \(PathBytes.display(path))\(isDirectory ? "/" : "")\t(\(rule))"
    }
}

extension BackupWarning {
    /// The `warning` event for this warning.
    public var event: SindriEvent {
        .warning(SindriEvent.Warning(
            message: message, path: path.isEmpty ? nil : PathBytes.display(path), pathBytes: PathBytes.exactBytesField(path)))
    }
}

extension BackupResult {
    /// The `summary` event of a finished backup.
    public func summaryEvent(home: String, profile: BackupProfile, startedAt: Date, exitCode: Int32) -> SindriEvent {
        var summary = SindriEvent.Summary(command: "backup", dryRun: false, exitCode: exitCode)
        summary.files = fileCount
        summary.members = memberCount
        summary.totalBytes = totalBytes
        summary.archiveBytes = sizeBytes
        summary.archivePath = archivePath
        summary.checksumPath = checksumPath
        summary.compressionRatio = totalBytes == 0 ? 0 : (Double(sizeBytes) / Double(totalBytes) * 1e6).rounded() / 1e6
        summary.startedAt = EventTime.rfc3339(startedAt)
        summary.durationSeconds = EventTime.seconds(durationSeconds)
        summary.warningCount = warnings.count
        summary.profile = profile.rawValue
        summary.home = home
        summary.manifest = try? JSONValue(encoding: manifest)
        summary.details = BackupPreview.skipDetails(sockets: socketsSkipped, archives: archivesSkipped, notes: notes)
        return .summary(summary)
    }
}

extension BackupPreview {
    /// The `summary` event of `backup --dry-run`: what the real run would archive.
    public func summaryEvent(home: String, profile: BackupProfile, startedAt: Date, exitCode: Int32) -> SindriEvent {
        var summary = SindriEvent.Summary(command: "backup", dryRun: true, exitCode: exitCode)
        summary.files = walk.regularFileCount
        summary.members = walk.entries.count
        summary.totalBytes = walk.regularFileBytes
        summary.archivePath = archivePath
        summary.startedAt = EventTime.rfc3339(startedAt)
        summary.durationSeconds = EventTime.seconds(Date().timeIntervalSince(startedAt))
        summary.warningCount = walk.warnings.count
        summary.profile = profile.rawValue
        summary.home = home
        summary.details = Self.skipDetails(sockets: walk.socketsSkipped, archives: walk.archivesSkipped, notes: [])
        return .summary(summary)
    }

    /// `details` of a backup summary: the sockets and earlier archives left out (paths
    /// display-escaped) and the notes (stale temporary files removed); nil when there are none.
    static func skipDetails(sockets: [[UInt8]], archives: [[UInt8]], notes: [String]) -> JSONValue? {
        guard !sockets.isEmpty || !archives.isEmpty || !notes.isEmpty else { return nil }
        return .object([
            "sockets_skipped": .array(sockets.map { .string(PathBytes.display($0)) }),
            "archives_skipped": .array(archives.map { .string(PathBytes.display($0)) }),
            "notes": .array(notes.map { .string($0) }),
        ])
    }

    /// One `item` per decision, with the member's type, size and mode for included paths.
    public var itemEvents: [SindriEvent] {
        var entries: [[UInt8]: TarEntry] = [:]
        for entry in walk.entries { entries[entry.path] = entry }
        return walk.decisions.map { $0.itemEvent(entry: $0.included ? entries[$0.path] : nil) }
    }
}
