import Crypto
import Foundation
import SindriArchive
import SindriSystem
import SindriCodecs

extension ArchiveBuilder {
    /// What the pipeline's driver waits for: the walk's next batch, or a block built and compressed.
    private enum PipelineEvent: Sendable {
        case batch(WalkBatch?)
        case block(CompressedBlock)
    }

    /// The backup pipeline, streaming from the walk to the archive:
    ///
    ///     DirectoryWalker (actor, walk thread)  -- batches of >= 256 entries or >= 128 KiB -->
    ///     TarWriter (actor, I/O thread): layout grows, hands out the blocks it covers -->
    ///     readers (tasks on the I/O worker threads, at most 3 x workers blocks in flight):
    ///         pread, hash, deflate -->
    ///     TarWriter: back in order, appended, spanning files hashed on the side
    ///
    /// This driver only moves values between them: one task group holds the walk's next batch
    /// request and the readers, and each finished child is handed to the actor that owns its
    /// state. Block `k` starts as soon as the layout covers it, so compression overlaps the walk.
    ///
    /// Where each part runs, and why: the driver runs on the writer's thread (the engine's I/O
    /// thread), so handing a block to the writer is no thread switch, and a finished block costs
    /// one wake-up of that thread, as a write on the I/O thread costs when the walk comes first.
    /// The walker has a thread of its own, so a walk batch never queues in front of the writer.
    /// The readers run on ``BlockingExecutor/workers`` (one thread per core): their `pread`s
    /// block, which must not happen on the cooperative pool, and the hashing and deflate that
    /// follow are on the same thread, so a block is one job on one thread from its first read to
    /// its compressed member.
    ///
    /// An incremental backup streams too: the writer runs each batch through the change
    /// detection against the base (`TreeIndexBuilder.select`, on the I/O thread, since it may
    /// hash files) and lays out only the changed entries; every walked entry still goes into the
    /// index member, written before the checksum list in the trailer.
    ///
    /// The manifest member comes first in the archive, and its placeholder's size is fixed before
    /// any member is known. For a file, the placeholder goes out at once (figures pending) and the
    /// final manifest is written over it at the end. On standard output nothing can be rewritten,
    /// so the manifest written there must already hold the walk's totals (files included, total
    /// bytes): the writer keeps data blocks back until the walk is over and the manifest is out.
    /// The readers still start as soon as the layout allows, up to the window, so a stream gains
    /// the first window of compression while the walk runs, and memory stays bounded.
    func write(
        home: String, homeDescriptor: Int32, selection: BackupSelection, source: SourceInfo,
        excluded: Set<FileIdentity>, writer: TarWriter, started: Date, base: BaseArchive?
    ) async throws -> BackupResult {
        let walker = DirectoryWalker(homeDescriptor: homeDescriptor, selection: selection, options: config.exclusions.walk, excludedFiles: excluded)
        let toStandardOutput = !writer.canReplaceStart
        let extensions = SourceDetector.extensions(home: home)
        let pending = ManifestChecksum(value: ManifestChecksum.pendingValue)

        let descriptors = SharedDescriptors()
        defer { descriptors.closeAll() }
        let builder = BlockBuilder(homeDescriptor: homeDescriptor, blockSize: config.blockSize, descriptors: descriptors)
        let pool = try CompressorPool(level: config.compressionLevel, engine: config.engine, count: config.workers)
        // The walk's warnings and decisions; its members live in the writer (layout and index)
        // only. The manifest counts what the tar holds (for an incremental, the changed files).
        var walk = WalkResult()
        var placeholderSize: Int?
        func manifestMember() async -> ManifestMember {
            ManifestMember(
                createdAt: started, source: source, profile: config.profile, extensions: extensions,
                filesIncluded: await writer.filesKnown, totalBytes: await writer.bytesKnown, base: base?.reference)
        }

        // As many reader threads as workers asked for, at most one per worker thread.
        let readers = Array(BlockingExecutor.workers.prefix(max(1, config.workers)))
        try await withTaskExecutorPreference(BlockingExecutor.shared) {
            try await withThrowingTaskGroup(of: PipelineEvent.self) { group in
                func launch(_ plans: [BlockPlan]) {
                    for plan in plans {
                        // Blocks go round the reader threads in stream order, so consecutive blocks
                        // (the next ones the writer needs) are built side by side.
                        group.addTask(executorPreference: readers[plan.index % readers.count]) {
                            try Task.checkCancellation()
                            let raw = builder.build(plan)
                            let member = try raw.bytes.withUnsafeBytes { try pool.compress($0, kind: .data) }
                            return .block(CompressedBlock(raw: raw, member: member))
                        }
                    }
                }
                group.addTask(executorPreference: DirectoryWalker.executor) { .batch(try await walker.nextBatch()) }
                if !toStandardOutput {
                    let placeholder = try await manifestMember().encodedMember(checksum: pending, compressedSize: 0, duration: 0)
                    placeholderSize = placeholder.count
                    launch(try await writer.open(manifest: placeholder))
                }
                while let event = try await group.next() {
                    try Interruption.checkpoint()
                    switch event {
                    case .batch(let batch?):
                        // The next batch asked for first: the walk goes on, on its own thread,
                        // while this one is laid out and its blocks are handed out.
                        group.addTask(executorPreference: DirectoryWalker.executor) { .batch(try await walker.nextBatch()) }
                        launch(try await writer.extend(batch))
                        var rest = batch
                        rest.entries = []
                        rest.stamps = []
                        walk.append(rest)
                    case .batch(nil):
                        launch(await writer.finishLayout())
                        if toStandardOutput {
                            let manifest = try await manifestMember().encodedMember(checksum: pending, compressedSize: 0, duration: 0)
                            launch(try await writer.open(manifest: manifest))
                        }
                    case .block(let block):
                        launch(try await writer.accept(block))
                    }
                }
            }
        }
        try Task.checkCancellation()
        let drained = await writer.isDrained
        precondition(drained, "the pipeline ended with blocks unwritten")
        let manifestWriter = await manifestMember()
        let data = await writer.finishData()
        let warnings = walk.warnings + data.warnings

        // Trailer: the index, per-file checksums, (for streams) the summary, end of archive.
        // The index comes first: a base's index is then read without inflating the checksums.
        var checksums = data.checksums
        ChecksumList.appendLine(path: Array(INDEX_FILENAME.utf8), digest: Array(SHA256.hash(data: data.index)), to: &checksums)
        var trailer = ManifestMember.fileMember(path: INDEX_FILENAME, contents: data.index, modificationTime: data.newest)
        trailer += ManifestMember.fileMember(path: CHECKSUMS_FILENAME, contents: checksums, modificationTime: data.newest)
        if toStandardOutput {
            let statistics = manifestWriter.statistics(compressedSize: await writer.bytesWritten, duration: Date().timeIntervalSince(started))
            let summary = BackupSummary(dataChecksum: data.dataChecksum, statistics: statistics, warnings: warnings.count)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            trailer += ManifestMember.fileMember(path: SUMMARY_FILENAME, contents: Array(try encoder.encode(summary)), modificationTime: data.newest)
        }
        trailer += TarHeaderEncoder.endOfArchive()
        var offset = 0
        while offset < trailer.count {
            let end = min(offset + config.blockSize, trailer.count)
            let member = try trailer[offset..<end].withUnsafeBytes { try pool.compress($0, kind: .trailer) }
            try await writer.writeTrailer(member)
            offset = end
        }

        // Final manifest in place, then make it durable and visible.
        PointOfNoReturn.pass("the archive was complete when the signal arrived, and was kept")
        let duration = Date().timeIntervalSince(started)
        var manifest = manifestWriter.manifest(checksum: pending, compressedSize: 0, duration: 0)
        var finalMember: [UInt8]?
        if !toStandardOutput {
            let size = await writer.bytesWritten
            manifest = manifestWriter.manifest(checksum: ManifestChecksum(value: data.dataChecksum), compressedSize: size, duration: duration)
            finalMember = try manifestWriter.encodedMember(manifest)
            precondition(finalMember?.count == placeholderSize, "manifest member changed size")
        }
        let checksumPath = try await writer.commit(manifest: finalMember)
        return BackupResult(
            archivePath: await writer.location, checksumPath: checksumPath, fileCount: manifestWriter.filesIncluded,
            memberCount: await writer.layout.entries.count, totalBytes: manifestWriter.totalBytes, sizeBytes: await writer.bytesWritten,
            durationSeconds: duration, warnings: warnings, manifest: manifest, decisions: walk.decisions,
            notes: await writer.notes, socketsSkipped: walk.socketsSkipped, archivesSkipped: walk.archivesSkipped)
    }
}
