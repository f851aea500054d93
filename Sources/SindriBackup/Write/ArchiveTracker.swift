import Crypto
import SindriArchive

/// Follows the data region as blocks are written in order: collects each file's SHA256
/// (hashing files that span blocks incrementally), deduplicates warnings per file and counts
/// progress. Owned by the ordered writer loop; never shared.
struct ArchiveTracker {
    let layout: TarLayout
    private(set) var digests: [[UInt8]?]
    private(set) var warnings: [BackupWarning] = []
    private var warned: Set<Int> = []
    private var openSpan: (member: Int, hasher: SHA256)?
    private(set) var filesDone = 0
    private(set) var bytesDone: UInt64 = 0
    private var nextMember = 0
    private(set) var currentPath: [UInt8] = []

    init(layout: TarLayout) {
        self.layout = layout
        digests = Array(repeating: nil, count: layout.entries.count)
    }

    mutating func absorb(_ block: RawBlock) {
        for (member, digest) in block.digests { digests[member] = digest }
        for (member, message) in block.warnings where warned.insert(member).inserted {
            warnings.append(BackupWarning(path: layout.entries[member].path, message: message))
        }
        let start = block.start
        let end = start + UInt64(block.bytes.count)
        // Files whose content crosses a block edge are hashed here, in stream order.
        var member = layout.memberIndex(containing: start)
        block.bytes.withUnsafeBytes { buffer in
            while member < layout.entries.count, layout.memberOffsets[member] < end {
                let content = layout.contentRange(member)
                let spans = content.lowerBound < start || content.upperBound > end
                if layout.entries[member].kind == .regular, spans, content.lowerBound < end, content.upperBound > start {
                    if openSpan?.member != member { openSpan = (member, SHA256()) }
                    let from = Int(max(content.lowerBound, start) - start)
                    let to = Int(min(content.upperBound, end) - start)
                    openSpan!.hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[from..<to]))
                    if content.upperBound <= end {
                        digests[member] = Array(openSpan!.hasher.finalize())
                        openSpan = nil
                    }
                }
                member += 1
            }
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
    }

    /// The `.backup-checksums.sha256` member's content: one line per regular file, in order.
    func checksumMember() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(layout.entries.count * 90)
        for (index, entry) in layout.entries.enumerated() where entry.kind == .regular {
            if let digest = digests[index] {
                ChecksumList.appendLine(path: entry.path, digest: digest, to: &out)
            } else if entry.size == 0 {
                ChecksumList.appendLine(path: entry.path, digest: Array(SHA256.hash(data: [UInt8]())), to: &out)
            }
        }
        return out
    }
}
