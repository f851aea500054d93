import Crypto
import SindriArchive
import SindriSystem

/// Collects an archive's index member as stage 1 streams it: decoded line by line (never held
/// whole) and hashed, so its line in the checksum list is checked like any file's.
struct IndexMemberCollector {
    private(set) var entries: [BackupIndexEntry]?
    private var collected: [BackupIndexEntry] = []
    private var decoder = BackupIndexDecoder()
    private var hasher = SHA256()
    private var digest: [UInt8]?
    private var started = false
    /// False: the index is only hashed (its line in the checksum list still checked), not
    /// decoded. A chain restore takes the tree from the newest index alone, so decoding each
    /// base's index (tens of thousands of lines each) would be work thrown away.
    var decodes = true

    static let path = Array(INDEX_FILENAME.utf8)

    static func isIndex(_ entry: TarEntry) -> Bool { entry.path == path && entry.kind == .regular }

    /// The member begins; false when the archive already had one.
    mutating func begin() -> Bool {
        guard !started else { return false }
        started = true
        return true
    }

    mutating func consume(_ slice: UnsafeRawBufferPointer, archive: String) throws {
        hasher.update(bufferPointer: slice)
        guard decodes else { return }
        do {
            try decoder.consume(slice) { collected.append($0) }
        } catch let error as BackupIndexError {
            throw SindriError(.archiveCorrupt, "\(archive): \(error)", path: archive)
        }
    }

    mutating func finish(archive: String) throws {
        do {
            if decodes { try decoder.finish() }
        } catch let error as BackupIndexError {
            throw SindriError(.archiveCorrupt, "\(archive): \(error)", path: archive)
        }
        digest = Array(hasher.finalize())
        entries = decodes ? collected : nil
        collected = []
    }

    /// Takes the index's line out of the checksum list's `expected` digests and checks it. An
    /// archive repacked without its index (by tar, say) is still a complete full backup: the
    /// line then names nothing, and is dropped (an incremental cannot restore without it).
    func check(against expected: inout [[UInt8]: [UInt8]], archive: String) throws {
        guard started else {
            expected.removeValue(forKey: Self.path)
            return
        }
        guard let recorded = expected.removeValue(forKey: Self.path) else {
            throw SindriError(.verificationFailed, "\(archive): \(INDEX_FILENAME) has no recorded checksum", path: archive)
        }
        guard recorded == digest else {
            throw SindriError(.verificationFailed, "\(archive): checksum mismatch for \(INDEX_FILENAME): the index differs from what was backed up", path: archive)
        }
    }
}
