import Foundation
import SindriArchive
import SindriBackup
import SindriReporting

extension ListCommand {
    /// The chain of an incremental, oldest first, each link with what it changed.
    static func chainText(_ links: [ChainLinkDescription]) -> String {
        var lines = ["Chain:       \(links.count) archives, oldest first (restoring the newest restores the tree it recorded):"]
        for link in links {
            let name = (link.path as NSString).lastPathComponent
            let kind = link.manifest.isIncremental ? "incremental" : "full"
            lines.append("  \(kind) \(name), created \(link.manifest.createdAt): \(link.entries) paths; "
                + "\(link.diff.added.count) added, \(link.diff.changed.count) changed, \(link.diff.deleted.count) deleted")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `details.chain` of the `--json` summary: the links oldest first, each with its counts and,
    /// for an incremental, the paths it added, changed and deleted (display-escaped). A full
    /// backup's paths are all "added" and are its members, so they are not repeated there.
    static func chainDetails(_ links: [ChainLinkDescription]) -> JSONValue {
        .array(links.map { link in
            var object: [String: JSONValue] = [
                "path": .string(link.path),
                "file_name": .string((link.path as NSString).lastPathComponent),
                "backup_type": .string(link.manifest.isIncremental ? "incremental" : "full"),
                "created_at": .string(link.manifest.createdAt),
                "checksum": .string(link.manifest.checksum.value),
                "entries": .integer(Int64(link.entries)),
                "added": .integer(Int64(link.diff.added.count)),
                "changed": .integer(Int64(link.diff.changed.count)),
                "deleted": .integer(Int64(link.diff.deleted.count)),
            ]
            if let base = link.manifest.base {
                object["base"] = .object(["checksum": .string(base.checksum), "file_name": .string(base.fileName), "created_at": .string(base.createdAt)])
                object["added_paths"] = .array(link.diff.added.map { .string(PathBytes.display($0)) })
                object["changed_paths"] = .array(link.diff.changed.map { .string(PathBytes.display($0)) })
                object["deleted_paths"] = .array(link.diff.deleted.map { .string(PathBytes.display($0)) })
            }
            return .object(object)
        })
    }

    /// The summary event with the chain added to its `details`.
    static func withChain(_ event: SindriEvent, _ links: [ChainLinkDescription]) -> SindriEvent {
        guard case .summary(var summary) = event else { return event }
        var details: [String: JSONValue] = [:]
        if case .object(let existing)? = summary.details { details = existing }
        details["chain"] = chainDetails(links)
        summary.details = .object(details)
        return .summary(summary)
    }
}
