import CSindriSystem
import Foundation
import SindriArchive
import SindriSystem
import SindriCodecs
#if canImport(Glibc)
import Glibc
#endif

/// An archive as the next incremental sees it: its manifest and the tree it recorded.
public struct BaseArchive: Sendable {
    public var path: String
    public var manifest: BackupManifest
    /// False for an archive made before archives carried an index: its entries come from its tar
    /// headers and checksum list (no ctime, inode or device; mtimes in whole seconds).
    public var hasIndex: Bool
    public var entries: [BackupIndexEntry]
    /// Whether it is an age file (its index was read through its encryption).
    public var isEncrypted = false

    /// What the manifest of the next incremental records about this base.
    public var reference: BackupBase {
        BackupBase(checksum: manifest.checksum.value, createdAt: manifest.createdAt, fileName: (path as NSString).lastPathComponent)
    }
}

/// Reads what an incremental needs from an archive without inflating its data.
///
/// Our data blocks record their compressed length in their gzip header, so the reader hops
/// from block header to block header (one small `pread` per 1 MiB block) to the first trailer
/// block and inflates only the trailer: the index and the checksum list. An archive without
/// block framing or without an index is read whole instead (its tar headers and checksums).
///
/// Synchronous and blocking: run it on `BlockingExecutor.shared`.
enum BaseArchiveReader {
    private struct Stop: Error {}

    /// The manifest of `path`, and the offset where its first gzip member ends; nil when the
    /// file is not one of our archives (no manifest first).
    static func head(_ path: String, keys: ArchiveDecryptionKeys = ArchiveDecryptionKeys()) throws -> (manifest: BackupManifest, end: Int)? {
        try head(try ArchiveFileReader(path: path, keys: keys))
    }

    static func head(_ file: ArchiveFileReader) throws -> (manifest: BackupManifest, end: Int)? {
        try head(chunks(file, from: 0))
    }

    /// Reads an archive's bytes in order into the buffer given (up to its size); returns how
    /// many, 0 at the end. The one interface a base is parsed through, so a local file (`pread`,
    /// decrypted when it is an age file) and an S3 object (ranged GETs) are read by the same code.
    typealias Chunks = (inout [UInt8]) throws -> Int

    /// The (plaintext) bytes of `file` from `start` on.
    static func chunks(_ file: ArchiveFileReader, from start: Int) -> Chunks {
        var position = start
        return { buffer in
            let count = try buffer.withUnsafeMutableBytes { try file.readFully(into: $0, at: Int64(position)) }
            position += count
            return count
        }
    }

    /// The manifest at the start of the bytes `next` gives, and where its gzip member ends.
    /// `end` is a plaintext offset: for an encrypted archive, one in its `.tar.gz`.
    static func head(_ next: Chunks) throws -> (manifest: BackupManifest, end: Int)? {
        var tar = TarReader()
        var bytes: [UInt8] = []
        var first = true
        var isManifest = false
        var firstEnd: Int?
        let decoder = try GzipStreamDecoder { boundary in
            firstEnd = boundary.compressedOffset + boundary.compressedLength
            throw Stop()
        }
        var offset = 0
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        do {
            while offset < 4 << 20 {
                let count = try next(&chunk)
                if count == 0 { return nil }
                try chunk.withUnsafeBytes { raw in
                    try decoder.feed(UnsafeRawBufferPointer(rebasing: raw[0..<count])) { output in
                        try tar.consume(output) { event in
                            switch event {
                            case .entry(let member):
                                isManifest = first && member.entry.path == Array(MANIFEST_FILENAME.utf8)
                                first = false
                                if !isManifest { throw Stop() }
                            case .content(let slice):
                                if isManifest, bytes.count + slice.count <= 1 << 20 { bytes.append(contentsOf: slice) }
                            case .endOfEntry, .endOfArchive:
                                break
                            }
                        }
                    }
                }
                offset += count
            }
        } catch is Stop {
        } catch {
            return nil
        }
        guard isManifest, let firstEnd, let manifest = try? BackupManifest.decode(bytes) else { return nil }
        return (manifest, firstEnd)
    }

    /// Reads `path` as the base of an incremental.
    ///
    /// - Throws: `SindriError` naming the archive when it cannot be opened, is not one of our
    ///   archives, is damaged where it was read, or carries no per-file checksums.
    /// An encrypted archive is read through its encryption with `keys` (it needs them).
    static func read(_ path: String, keys: ArchiveDecryptionKeys = ArchiveDecryptionKeys()) throws -> BaseArchive {
        let fd = try ArchiveFileReader(path: path, keys: keys)
        guard let (manifest, manifestEnd) = try head(fd) else {
            throw SindriError(.archiveCorrupt, "\(path) is not a sindri archive (no manifest first)", path: path)
        }
        guard manifest.checksum.isRealSHA256 else {
            throw SindriError(.archiveUnsupported, "\(path) has no archive checksum in its manifest (it was written to standard output), so it cannot be a base", path: path)
        }
        if let trailer = try trailerOffset(fd, from: manifestEnd), let entries = try readTrailerIndex(fd, from: trailer, path: path) {
            return BaseArchive(path: path, manifest: manifest, hasIndex: true, entries: entries, isEncrypted: fd.isEncrypted)
        }
        return BaseArchive(
            path: path, manifest: manifest, hasIndex: false, entries: try readWhole(fd, manifest: manifest, path: path), isEncrypted: fd.isEncrypted)
    }

    /// The offset of the first trailer block, hopping over data blocks; nil when the archive's
    /// members are not self-describing blocks.
    static func trailerOffset(_ fd: ArchiveFileReader, from start: Int) throws -> Int? {
        var offset = start
        var header = [UInt8](repeating: 0, count: BlockMemberHeader.size)
        while true {
            try Interruption.checkpoint()
            let count = try header.withUnsafeMutableBytes { try fd.readFully(into: $0, at: Int64(offset)) }
            guard count == header.count, let parsed = header.withUnsafeBytes({ BlockMemberHeader.parse($0) }) else { return nil }
            if parsed.kind == .trailer { return offset }
            guard parsed.compressedLength > 0 else { return nil }
            offset += parsed.compressedLength
        }
    }

    /// The index in the trailer starting at `offset`; nil when the trailer has none.
    static func readTrailerIndex(_ file: ArchiveFileReader, from offset: Int, path: String) throws -> [BackupIndexEntry]? {
        try readTrailerIndex(chunks(file, from: offset), path: path)
    }

    /// The index in the trailer whose bytes `next` gives (from its first block on).
    static func readTrailerIndex(_ next: Chunks, path: String) throws -> [BackupIndexEntry]? {
        var entries: [BackupIndexEntry] = []
        var index = BackupIndexDecoder()
        var inIndex = false
        var sawIndex = false
        var tar = TarReader()
        let decoder = try GzipStreamDecoder()
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        do {
            readLoop: while true {
                try Interruption.checkpoint()
                let count = try next(&chunk)
                if count == 0 { break }
                try chunk.withUnsafeBytes { raw in
                    try decoder.feed(UnsafeRawBufferPointer(rebasing: raw[0..<count])) { output in
                        try tar.consume(output) { event in
                            switch event {
                            case .entry(let member):
                                inIndex = member.entry.path == Array(INDEX_FILENAME.utf8) && member.entry.kind == .regular
                                if inIndex { sawIndex = true }
                                // The index comes first in the trailer: nothing after it is needed.
                                if !inIndex { throw Stop() }
                            case .content(let slice):
                                if inIndex { try index.consume(slice) { entries.append($0) } }
                            case .endOfEntry:
                                if inIndex { try index.finish() }
                                inIndex = false
                            case .endOfArchive:
                                throw Stop()
                            }
                        }
                    }
                }
            }
        } catch is Stop {
        } catch let error as BackupIndexError {
            throw SindriError(.archiveCorrupt, "\(path): \(error)", path: path)
        } catch let error as CodecError {
            throw SindriError(.archiveCorrupt, "\(path): \(error)", path: path)
        } catch let error as TarFormatError {
            throw SindriError(.archiveCorrupt, "\(path): the tar structure is damaged: \(error)", path: path)
        }
        return sawIndex ? entries : nil
    }

    /// The tree of an archive without an index: its tar headers, with each file's SHA-256 from
    /// its checksum list.
    static func readWhole(_ file: ArchiveFileReader, manifest: BackupManifest, path: String) throws -> [BackupIndexEntry] {
        try readWhole(chunks(file, from: 0), manifest: manifest, path: path)
    }

    /// As `readWhole(_:manifest:path:)`, for the whole archive's bytes as `next` gives them.
    static func readWhole(_ next: Chunks, manifest: BackupManifest, path: String) throws -> [BackupIndexEntry] {
        var entries: [BackupIndexEntry] = []
        var checksumBytes: [UInt8] = []
        var inChecksums = false
        var sawChecksums = false
        var first = true
        var tar = TarReader()
        let decoder = try GzipStreamDecoder()
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        do {
            while true {
                try Interruption.checkpoint()
                let count = try next(&chunk)
                if count == 0 { break }
                try chunk.withUnsafeBytes { raw in
                    try decoder.feed(UnsafeRawBufferPointer(rebasing: raw[0..<count])) { output in
                        try tar.consume(output) { event in
                            switch event {
                            case .entry(let member):
                                let entry = member.entry
                                defer { first = false }
                                inChecksums = entry.path == Array(CHECKSUMS_FILENAME.utf8)
                                if inChecksums { sawChecksums = true }
                                if first || inChecksums || entry.path == Array(SUMMARY_FILENAME.utf8) || entry.path == Array(INDEX_FILENAME.utf8) { return }
                                guard case .path(let normalized) = MemberPath.normalize(entry.path), let kind = BackupIndexEntry.Kind(entry.kind) else { return }
                                var record = BackupIndexEntry(
                                    path: normalized, kind: kind, size: kind == .file ? entry.size : 0,
                                    modificationNanoseconds: entry.modificationTime * 1_000_000_000,
                                    mode: entry.mode & 0o7777, uid: entry.uid, gid: entry.gid)
                                if kind == .symlink { record.linkTarget = entry.linkTarget }
                                if kind == .hardlink, case .path(let target) = MemberPath.normalize(entry.linkTarget) { record.linkTarget = target }
                                entries.append(record)
                            case .content(let slice):
                                if inChecksums, checksumBytes.count + slice.count <= 1 << 30 { checksumBytes.append(contentsOf: slice) }
                            case .endOfEntry:
                                inChecksums = false
                            case .endOfArchive:
                                break
                            }
                        }
                    }
                }
            }
            try decoder.finish()
            try tar.finish()
        } catch let error as CodecError {
            throw SindriError(.archiveCorrupt, "\(path): \(error)", path: path)
        } catch let error as TarFormatError {
            throw SindriError(.archiveCorrupt, "\(path): the tar structure is damaged: \(error)", path: path)
        }
        guard sawChecksums, let list = try? ChecksumList.decode(checksumBytes) else {
            throw SindriError(.archiveUnsupported, "\(path) carries no per-file checksums, so it cannot be a base", path: path)
        }
        var digests: [[UInt8]: [UInt8]] = [:]
        for line in list.lines {
            if case .path(let normalized) = MemberPath.normalize(line.path) { digests[normalized] = line.digest }
        }
        for index in entries.indices where entries[index].kind == .file {
            guard let digest = digests[entries[index].path] else {
                throw SindriError(.verificationFailed, "\(path): \(PathBytes.display(entries[index].path)) has no recorded checksum", path: path)
            }
            entries[index].sha256 = digest
            entries[index].archive = manifest.checksum.value
        }
        return entries
    }
}
