import Foundation
import SindriArchive
import SindriCodecs
import SindriSystem

/// What `ArchiveLister` found and how much of the archive it had to read.
public struct ArchiveListing: Sendable {
    /// The manifest (nil when the first member is not one: an archive from another tool).
    public var manifest: BackupManifest?
    /// Members listed (the manifest itself and the trailer's metadata are not counted).
    public var members = 0
    /// Regular files among them and their content bytes.
    public var files = 0
    public var contentBytes: UInt64 = 0
    /// Compressed bytes read or skipped before the lister stopped.
    public var compressedBytesRead: UInt64 = 0
    /// The archive's size, when it is a regular file.
    public var archiveBytes: UInt64?
    /// Data blocks lying wholly inside one file's content, stepped over without inflating them.
    public var blocksSkipped = 0
    /// Whether the listing ended at the trailer (a sindri archive) rather than at the tar end marker.
    public var stoppedAtTrailer = false
    /// The final figures of an archive written to standard output (`.backup-summary.json`), whose
    /// manifest could not hold them.
    public var summary: BackupSummary?
}

/// Lists an archive's manifest and members, reading no more of it than that takes.
///
/// The gzip stream goes through `GzipStreamDecoder` into `TarReader`. Sindri's data blocks
/// record their compressed and uncompressed sizes in the gzip header (`BlockMemberHeader`), which
/// lets the lister (1) step over a block that lies wholly inside one file's content, with `lseek`
/// for a file, without inflating it: tar headers are never inside such a block; (2) stop at the
/// first trailer block, since the members are all known by then. Archives from other tools are
/// inflated to the tar end marker. This is a listing, not a check: skipped blocks are not
/// inflated, so their CRCs are not verified (`sindri verify` does that).
///
/// Synchronous and blocking: run it on a dedicated thread.
public struct ArchiveLister: Sendable {
    /// The archive's path; `-` reads standard input.
    public let path: String
    /// How to open remote or encrypted archives.
    public let access: ArchiveAccess

    public init(path: String, access: ArchiveAccess = ArchiveAccess()) {
        self.path = path
        self.access = access
    }

    private struct StopListing: Error {}

    /// Lists the archive: `onManifest` once (before any member), then `onMember` per member in
    /// archive order.
    ///
    /// - Throws: `SindriError` `.invalidArgument` (the archive cannot be opened), `.archiveCorrupt`
    ///   (not gzip, damaged, truncated, malformed tar), or what the handlers throw.
    public func list(
        onManifest: (BackupManifest?) throws -> Void, onMember: (TarMember) throws -> Void
    ) throws -> ArchiveListing {
        let source = try ArchiveSources.open(path, access: access)
        var listing = ArchiveListing()
        listing.archiveBytes = source.totalBytes
        do {
            try run(source: source, listing: &listing, onManifest: onManifest, onMember: onMember)
        } catch let error as CodecError {
            throw SindriError(.archiveCorrupt, "\(source.name): \(error)", path: path, cause: error)
        } catch let error as TarFormatError {
            throw SindriError(.archiveCorrupt, "\(source.name): the tar structure is damaged: \(error)", path: path, cause: error)
        }
        return listing
    }

    /// Member end offsets reported by the decoder's callback.
    private final class Boundaries {
        var lastEnd: Int?
    }

    private func run(
        source: any ArchiveByteSource, listing: inout ArchiveListing,
        onManifest: (BackupManifest?) throws -> Void, onMember: (TarMember) throws -> Void
    ) throws {
        let boundaries = Boundaries()
        // Compressed bytes stepped over: the decoder's offsets do not count them.
        var skippedTotal = 0
        let decoder = try GzipStreamDecoder { boundary in
            boundaries.lastEnd = boundary.compressedOffset + boundary.compressedLength + skippedTotal
        }
        var tar = TarReader()
        let input = GzipMemberReader(source: source)
        var atBoundary = true
        var currentMemberEnd: Int?

        // Tar-side state, kept by the event handler.
        var memberIndex = 0
        var collectingManifest = false
        var manifestBytes: [UInt8] = []
        var manifestReported = false
        var contentEnd: UInt64?
        // A streamed archive's manifest says `pending`: its final figures are in the trailer.
        var wantsSummary = false
        var collectingSummary = false
        var summaryBytes: [UInt8] = []

        func reportManifest(_ manifest: BackupManifest?) throws {
            guard !manifestReported else { return }
            manifestReported = true
            listing.manifest = manifest
            try onManifest(manifest)
        }

        func handle(_ event: TarEvent) throws {
            switch event {
            case .entry(let member):
                defer { memberIndex += 1 }
                let entry = member.entry
                if member.entry.kind.carriesContent, entry.size > 0 {
                    contentEnd = member.contentOffset + entry.size
                }
                if memberIndex == 0, entry.path == Array(MANIFEST_FILENAME.utf8) {
                    collectingManifest = true
                    return
                }
                try reportManifest(nil)
                if listing.manifest != nil,
                   entry.path == Array(CHECKSUMS_FILENAME.utf8) || entry.path == Array(SUMMARY_FILENAME.utf8)
                    || entry.path == Array(INDEX_FILENAME.utf8) {
                    // The trailer: the members are all known. Read on only for a streamed
                    // archive's summary (it follows the checksum list).
                    listing.stoppedAtTrailer = true
                    guard wantsSummary else { throw StopListing() }
                    collectingSummary = entry.path == Array(SUMMARY_FILENAME.utf8)
                    return
                }
                if listing.stoppedAtTrailer { throw StopListing() }
                listing.members += 1
                if entry.kind == .regular {
                    listing.files += 1
                    listing.contentBytes += entry.size
                }
                try onMember(member)
            case .content(let bytes):
                if collectingManifest, manifestBytes.count + bytes.count <= 1 << 20 {
                    manifestBytes.append(contentsOf: bytes)
                }
                if collectingSummary, summaryBytes.count + bytes.count <= 1 << 20 {
                    summaryBytes.append(contentsOf: bytes)
                }
            case .endOfEntry:
                contentEnd = nil
                if collectingSummary {
                    listing.summary = try? JSONDecoder().decode(BackupSummary.self, from: Data(summaryBytes))
                    throw StopListing()
                }
                if collectingManifest {
                    collectingManifest = false
                    let manifest = try? BackupManifest.decode(manifestBytes)
                    manifestBytes = []
                    wantsSummary = manifest.map { !$0.checksum.isRealSHA256 } ?? false
                    try reportManifest(manifest)
                }
            case .endOfArchive:
                throw StopListing()
            }
        }

        let zeros = [UInt8](repeating: 0, count: 1 << 16)
        do {
            while true {
                // Once per piece or skipped block: a signal stops the listing here.
                try Interruption.checkpoint()
                if manifestReported { TestPause.here("list") }
                if atBoundary {
                    let framing = try input.peekMember(allowStored: false)
                    if framing == .end { break }
                    if case .member(let length, let uncompressed, let kind) = framing {
                        if kind == .trailer, manifestReported, listing.manifest != nil, !wantsSummary {
                            listing.stoppedAtTrailer = true
                            break
                        }
                        if kind == .data, let end = contentEnd, tar.offset + UInt64(uncompressed) <= end {
                            // Wholly inside one file's content: no tar header can be in it.
                            let memberStart = input.offset
                            let skipped = try input.skip(length)
                            guard skipped == length else {
                                // Worded and located as the decoder would (verify and restore inflate this member).
                                var truncated = CodecError(
                                    kind: .truncated, operation: "skip", library: .sindri,
                                    message: "the input ends inside a skipped block", byteOffset: memberStart + skipped)
                                truncated.member = decoder.membersCompleted + listing.blocksSkipped + 1
                                truncated.memberOffset = memberStart
                                throw SindriError(.archiveCorrupt, "\(source.name): \(truncated)", path: path, cause: truncated)
                            }
                            skippedTotal += length
                            listing.blocksSkipped += 1
                            var remaining = uncompressed
                            while remaining > 0 {
                                let count = min(remaining, zeros.count)
                                try zeros.withUnsafeBytes { raw in
                                    try tar.consume(UnsafeRawBufferPointer(rebasing: raw[..<count]), handle)
                                }
                                remaining -= count
                            }
                            continue
                        }
                        currentMemberEnd = input.offset + length
                    } else {
                        currentMemberEnd = nil
                    }
                }
                try input.fill(minimum: 1)
                if input.availableCount == 0 { break }
                var count = 1 << 18
                if let end = currentMemberEnd, end > input.offset { count = min(count, end - input.offset) }
                let pieceStart = input.offset
                let fedCount = try input.withAvailable(upTo: count) { piece in
                    try decoder.feed(piece) { output in try tar.consume(output, handle) }
                    return piece.count
                }
                input.advance(fedCount)
                let fed = input.offset
                if let end = boundaries.lastEnd, end == fed {
                    atBoundary = true
                    currentMemberEnd = nil
                } else {
                    atBoundary = false
                    if let end = currentMemberEnd, end > fed { continue }
                    currentMemberEnd = nil
                    // A member ended inside the piece and the next one started: learn its length if it has one.
                    if let start = boundaries.lastEnd, start > pieceStart, start < fed, let header = input.blockHeader(at: start) {
                        currentMemberEnd = start + header.compressedLength
                    }
                }
            }
            // The input ended (or a trailer block was reached): the stream must be complete unless we stopped early.
            if !listing.stoppedAtTrailer {
                try decoder.finish()
                try tar.finish()
            }
        } catch is StopListing {
            // Reached the tar end marker or the trailer: everything after it is metadata.
        } catch let error as CodecError {
            // The decoder never saw the skipped blocks: count them back in.
            throw error.shifted(members: listing.blocksSkipped, bytes: skippedTotal)
        }
        try reportManifest(nil)
        listing.compressedBytesRead = UInt64(input.offset)
    }
}
