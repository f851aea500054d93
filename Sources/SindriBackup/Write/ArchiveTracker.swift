import Crypto
import SindriArchive

/// Follows the data region as blocks are written in order: collects each file's SHA256,
/// deduplicates warnings per file, counts progress and finds the slices of files that span
/// blocks (hashed by `SpanHasher`). Owned by the tar writer; never shared.
struct ArchiveTracker {
    private(set) var digests: [Int: [UInt8]] = [:]
    private(set) var warnings: [BackupWarning] = []
    private var warned: Set<Int> = []
    private(set) var filesDone = 0
    private(set) var bytesDone: UInt64 = 0
    private var nextMember = 0
    private(set) var currentPath: [UInt8] = []

    init() {}

    /// Takes in the next block in stream order; returns the slices of files that cross its edges.
    mutating func absorb(_ block: RawBlock, layout: TarLayout) -> [SpanHasher.Slice] {
        for (member, digest) in block.digests { digests[member] = digest }
        for (member, message) in block.warnings where warned.insert(member).inserted {
            warnings.append(BackupWarning(path: layout.entries[member].path, message: message))
        }
        let start = block.start
        let end = start + UInt64(block.bytes.count)
        var slices: [SpanHasher.Slice] = []
        guard !layout.entries.isEmpty else { return slices }
        var member = layout.memberIndex(containing: start)
        while member < layout.entries.count, layout.memberOffsets[member] < end {
            let content = layout.contentRange(member)
            let spans = content.lowerBound < start || content.upperBound > end
            if layout.entries[member].kind == .regular, spans, content.lowerBound < end, content.upperBound > start {
                let from = Int(max(content.lowerBound, start) - start)
                let to = Int(min(content.upperBound, end) - start)
                slices.append(SpanHasher.Slice(member: member, range: from..<to, isLast: content.upperBound <= end))
            }
            member += 1
        }
        // Progress: members whose content is now fully written.
        while nextMember < layout.entries.count, layout.contentRange(nextMember).upperBound <= end {
            let entry = layout.entries[nextMember]
            if entry.kind == .regular {
                filesDone += 1
                bytesDone += entry.size
            }
            currentPath = entry.path
            nextMember += 1
        }
        return slices
    }

    /// Adds the digests of spanning files.
    mutating func record(_ spanDigests: [Int: [UInt8]]) {
        digests.merge(spanDigests) { _, new in new }
    }

    /// The `.backup-checksums.sha256` member's content: one line per regular file, in order.
    func checksumMember(layout: TarLayout) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(layout.entries.count * 90)
        let empty = Array(SHA256.hash(data: [UInt8]()))
        for (index, entry) in layout.entries.enumerated() where entry.kind == .regular {
            if let digest = digests[index] {
                ChecksumList.appendLine(path: entry.path, digest: digest, to: &out)
            } else if entry.size == 0 {
                ChecksumList.appendLine(path: entry.path, digest: empty, to: &out)
            }
        }
        return out
    }
}
