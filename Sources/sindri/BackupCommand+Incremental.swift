import Foundation
import SindriArchive
import SindriBackup
import SindriReporting

extension BackupCommand {
    /// The dry run's summary of an incremental: the figures of the incremental itself (as the
    /// real run's summary gives them) and `details.incremental`: the base and the counts.
    static func incrementalSummary(_ event: SindriEvent, _ preview: IncrementalPreview) -> SindriEvent {
        guard case .summary(var summary) = event else { return event }
        var details: [String: JSONValue] = [:]
        if case .object(let existing)? = summary.details { details = existing }
        var object: [String: JSONValue] = ["backup_type": .string(preview.base == nil ? "full" : "incremental")]
        if let base = preview.base {
            object["base"] = .object(["file_name": .string(base.fileName), "created_at": .string(base.createdAt), "checksum": .string(base.checksum)])
            object["files_added"] = .integer(Int64(preview.filesAdded))
            object["files_changed"] = .integer(Int64(preview.filesChanged))
            object["files_unchanged"] = .integer(Int64(preview.filesUnchanged))
            object["deleted"] = .integer(Int64(preview.deleted))
            object["bytes"] = .unsigned(preview.bytesArchived)
            summary.files = preview.filesArchived
            summary.totalBytes = preview.bytesArchived
            summary.members = preview.members
        }
        if let note = preview.note { object["note"] = .string(note) }
        details["incremental"] = .object(object)
        summary.details = .object(details)
        return .summary(summary)
    }

    /// `Dry run: would archive 12 files, 1.2 MiB (40 members) ... as an incremental on B:
    /// 2 added, 10 changed, 1 deleted, 300 unchanged files taken from its chain; nothing written.`
    static func incrementalText(_ preview: IncrementalPreview, home: String, profile: BackupProfile, target: String) -> String {
        guard let base = preview.base else { return "" }
        return "Dry run: would archive \(ProgressFormat.count(preview.filesArchived, "file")), \(ByteCount.format(preview.bytesArchived)) "
            + "(\(preview.members) members) from \(home) with profile \(profile.rawValue) to \(target) as an incremental on \(base.fileName) "
            + "(created \(base.createdAt)): \(preview.filesAdded) added, \(preview.filesChanged) changed, \(preview.deleted) deleted, "
            + "\(ProgressFormat.count(preview.filesUnchanged, "unchanged file")) taken from its chain; nothing written."
    }
}
