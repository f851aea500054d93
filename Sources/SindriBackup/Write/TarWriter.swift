import Foundation
import SindriArchive
import SindriSystem

/// A block built and compressed by a reader: the raw block (its digests, warnings and bytes, for
/// the files that span blocks) and its gzip member.
struct CompressedBlock: Sendable {
    var raw: RawBlock
    var member: [UInt8]
}

/// The backup's single serializing writer: the one owner of the archive's order and output.
///
/// It holds the tar layout (which grows as the walk's batches arrive), decides which blocks the
/// readers may build next (those the layout covers, at most `window` ahead of the last block
/// written, so memory stays flat whatever the tree), puts the compressed blocks back in stream
/// order, appends them to the output (whose running SHA256 of the data members is the manifest's
/// checksum), follows per-file digests, warnings and progress, and removes the temporary file on
/// abort.
///
/// An actor on the engine's blocking-I/O executor: its `write`s block (a slow pipe behind
/// `-o -`, a full disk). The backup's driver runs on the same thread, so handing the writer a
/// block is no thread switch; the walker has a thread of its own, so a walk batch never holds
/// back the writing. It does no heavy computing: headers, reading, hashing
/// and deflate happen in the readers, and files spanning blocks are hashed by `SpanHasher`'s
/// tasks. One caller at a time (the backup's driver awaits each call), so the suspension while
/// a spanning file's hashing catches up never lets another call in.
actor TarWriter {
    /// Where the archive goes (a local file, standard output, or any other sink); only this
    /// actor writes to it, one call at a time, on the blocking-I/O thread.
    private let output: any ArchiveSink
    private let blockSize: Int
    private let window: Int
    private let progress: (@Sendable (BackupProgress) -> Void)?

    private(set) var layout = TarLayout()
    /// Which walked entries the tar archives (all, or for an incremental those changed since the
    /// base), and the index of every walked entry.
    private var tree: TreeIndexBuilder
    private var tracker = ArchiveTracker()
    private var spans = SpanHasher()
    /// Blocks compressed out of order, waiting for their turn.
    private var pending: [Int: CompressedBlock] = [:]
    /// The next block to hand to a reader, and the next to write.
    private var nextToPlan = 0
    private(set) var nextToWrite = 0
    /// Whether the manifest member is out, so data members may follow it.
    private var dataOpen = false
    /// The regular files (and their bytes) the tar archives, of the walk so far.
    var filesKnown: Int { tree.fileCount }
    var bytesKnown: UInt64 { tree.fileBytes }
    private var walkWarnings = 0

    nonisolated var unownedExecutor: UnownedSerialExecutor {
        BlockingExecutor.shared.asUnownedSerialExecutor()
    }

    init(
        output: any ArchiveSink, blockSize: Int, window: Int,
        tree: TreeIndexBuilder = TreeIndexBuilder(base: nil, rehash: false, homeDescriptor: -1),
        progress: (@Sendable (BackupProgress) -> Void)? = nil
    ) {
        self.output = output
        self.tree = tree
        self.blockSize = blockSize
        self.window = max(1, window)
        self.progress = progress
    }

    /// Lays out the walk's next batch (for an incremental, the entries changed since the base:
    /// the change detection may read files, which is why it runs here, on the I/O thread);
    /// returns the blocks the readers may build now.
    func extend(_ batch: WalkBatch) throws -> [BlockPlan] {
        let selected = try tree.select(batch.entries, stamps: batch.stamps)
        // A batch an incremental leaves wholly out adds nothing (the layout takes stamps for all
        // members or none, and an empty batch has none).
        if !selected.entries.isEmpty { layout.append(selected.entries, stamps: selected.stamps) }
        walkWarnings += batch.warnings.count
        return plans()
    }

    /// The walk is over: the last, short block can be built. The archive's size is bounded now,
    /// and sinks that plan ahead learn it (an upload's part size; the parts already out were
    /// cut at the default size, and the upload sizes the rest to fit).
    func finishLayout() -> [BlockPlan] {
        layout.finish()
        // Stored blocks add a little to incompressible data; headers and the trailer the rest.
        output.expectSize(tree.fileBytes + tree.fileBytes / 64 + UInt64(tree.memberCount) * 1536 + UInt64(tree.walked.count) * 300 + (16 << 20))
        return plans()
    }

    /// Writes the manifest member, the archive's first, then any blocks that were waiting for it.
    func open(manifest: [UInt8]) throws -> [BlockPlan] {
        precondition(!dataOpen, "the manifest member is written once, first")
        try output.write(manifest, isData: false)
        dataOpen = true
        try drain()
        return plans()
    }

    /// Takes a block from a reader; writes it and whatever it unblocks in order; returns the
    /// blocks the readers may build now.
    func accept(_ block: CompressedBlock) async throws -> [BlockPlan] {
        pending[block.raw.index] = block
        try drain()
        // Hashing of spanning files may fall behind only so far: each queued slice keeps a block alive.
        while let oldest = spans.overflow() {
            spans.collect(await oldest.value)
        }
        return plans()
    }

    /// Whether every block of the complete layout has been written.
    var isDrained: Bool {
        guard let count = layout.blockCount(blockSize: blockSize) else { return false }
        return nextToWrite == count
    }

    /// Writes the blocks that are next in order.
    private func drain() throws {
        guard dataOpen else { return }
        while let block = pending.removeValue(forKey: nextToWrite) {
            try Interruption.checkpoint()
            for slice in tracker.absorb(block.raw, layout: layout) {
                spans.absorb(slice, of: block.raw.bytes)
            }
            try output.write(block.member, isData: true)
            nextToWrite += 1
            if let progress {
                progress(BackupProgress(
                    filesDone: tracker.filesDone, filesTotal: filesKnown, bytesDone: tracker.bytesDone,
                    bytesTotal: bytesKnown, compressedBytes: output.bytesWritten,
                    currentPath: tracker.currentPath, warnings: walkWarnings + tracker.warnings.count))
            }
        }
    }

    /// Plans for the blocks the layout covers, keeping at most `window` blocks between the next
    /// one to write and the last one handed out.
    private func plans() -> [BlockPlan] {
        var plans: [BlockPlan] = []
        while nextToPlan < nextToWrite + window, layout.covers(block: nextToPlan, blockSize: blockSize) {
            plans.append(layout.plan(block: nextToPlan, blockSize: blockSize))
            nextToPlan += 1
        }
        return plans
    }

    /// What the trailer needs once every block is written: the index member's content and the
    /// checksum member's (after the spanning files' hashing has finished), the newest walked
    /// entry's mtime, the warnings met while reading, and the data members' checksum.
    func finishData() async -> (index: [UInt8], checksums: [UInt8], newest: Int64, warnings: [BackupWarning], dataChecksum: String) {
        precondition(isDrained, "finishData before every block was written")
        while let oldest = spans.takeOldest() {
            spans.collect(await oldest.value)
        }
        tracker.record(spans.digests)
        let newest = tree.walked.lazy.map(\.modificationTime).max() ?? 0
        let dataChecksum = output.dataChecksum()
        let index = tree.encodedIndex(digests: tracker.digests, archive: dataChecksum)
        return (index, tracker.checksumMember(layout: layout), newest, tracker.warnings, dataChecksum)
    }

    /// Appends trailer members (not covered by the data checksum).
    func writeTrailer(_ member: [UInt8]) throws {
        try Interruption.checkpoint()
        try output.write(member, isData: false)
    }

    /// Bytes written so far.
    var bytesWritten: UInt64 { output.bytesWritten }

    /// Writes the final manifest over the placeholder (when the sink can replace its start), then
    /// makes the archive durable and visible with its `.sha256` sidecar; returns the sidecar's
    /// location (nil for a stream).
    /// Called past the point of no return: no stop request is checked here.
    func commit(manifest: [UInt8]?) throws -> String? {
        try output.commit(replacingStartWith: manifest)
    }

    /// Whether the manifest written first can be replaced at the end (false for a stream).
    nonisolated var canReplaceStart: Bool { output.canReplaceStart }
    /// The archive's location once committed (nil for stdout) and what was cleaned up beside it.
    var location: String? { output.location }
    var notes: [String] { output.notes }

    /// Removes the temporary file: a failed or cancelled backup leaves nothing at the output.
    func abort() {
        output.abort()
    }
}
