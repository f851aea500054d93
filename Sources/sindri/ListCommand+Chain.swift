import Foundation
import SindriArchive
import SindriBackup

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
}
