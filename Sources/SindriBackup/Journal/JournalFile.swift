import CSindriSystem
import Foundation
import SindriArchive
#if canImport(Glibc)
import Glibc
import SindriJournal
import SindriSystem
#endif

/// The write-ahead journal of one restore on disk: `<home>/.sindri/journals/<id>.journal`.
///
/// Records are appended as checksummed lines (`JournalCodec`); `sync()` makes everything appended
/// so far durable. The applier syncs after each batch of intent records and before taking the
/// steps they announce: recovery treats an intent without its done record as possibly taken, and
/// every undo checks what is on disk, so done records need no sync of their own.
final class JournalFile: @unchecked Sendable {
    static let directory = "\(TOOL_STATE_DIRECTORY)/journals"

    let descriptor: Int32
    let name: String
    private var pending: [UInt8] = []

    /// Creates a new journal for transaction `identifier`.
    init(home: Int32, identifier: String) throws {
        name = "\(identifier).journal"
        do {
            // Through descriptors only: a `.sindri` swapped for a symlink cannot steer the mkdir.
            let directoryFD = try ToolState.openSubdirectory(home, "journals").descriptor
            defer { close(directoryFD) }
            descriptor = try Syscalls.openAt(directoryFD, name, O_WRONLY | O_CREAT | O_EXCL | O_APPEND, mode: 0o600)
            try Syscalls.sync(directoryFD)
        } catch let failure as Syscalls.Failure {
            throw failure.error(path: Self.directory + "/" + "\(identifier).journal")
        }
    }

    /// Reopens an existing journal to append recovery records (a torn tail is cut off with
    /// `truncate(to:)` when the transaction's recovery asks for it).
    init(home: Int32, existing name: String) throws {
        self.name = name
        do {
            descriptor = try FileOpener.openBeneath(home, Self.directory + "/" + name, O_WRONLY | O_APPEND | O_NOFOLLOW)
        } catch let failure as Syscalls.Failure {
            throw failure.error(path: Self.directory + "/" + name)
        }
    }

    /// Cuts the journal to its sound prefix (a torn last line, from power lost in the middle of
    /// a write) and fsyncs it, so the next record starts on a clean line.
    func truncate(to length: Int) throws {
        pending.removeAll()
        do {
            guard ftruncate(descriptor, off_t(length)) == 0 else { throw Syscalls.Failure(operation: "ftruncate", errno: sindri_errno()) }
            try Syscalls.sync(descriptor)
        } catch let failure as Syscalls.Failure {
            throw failure.error(path: Self.directory + "/" + name)
        }
    }

    deinit { close(descriptor) }

    func append(_ record: JournalRecord) {
        pending.append(contentsOf: JournalCodec.encode(record))
    }

    /// Writes what was appended; with `durable`, also fsyncs it.
    func flush(durable: Bool) throws {
        do {
            if !pending.isEmpty {
                try pending.withUnsafeBytes { try Syscalls.writeAll(descriptor, $0) }
                pending.removeAll(keepingCapacity: true)
            }
            if durable { try Syscalls.sync(descriptor) }
        } catch let failure as Syscalls.Failure {
            throw failure.error(path: Self.directory + "/" + name)
        }
    }

    /// A journal file as found in the home, read but decoded only at its ends.
    struct Stored {
        let name: String
        let bytes: [UInt8]
        /// From the `begin` record, when the first line is sound.
        let header: JournalHeader?
        /// `committed` or `rolledBack` when the last line says so; `nil` when only a full decode
        /// can tell (an unfinished, failed or damaged journal).
        let finishedStatus: JournalStatus?

        /// Every record, checked line by line (`JournalCodec.decodeJournal`).
        func decode() throws -> DecodedJournal {
            do {
                return try JournalCodec.decodeJournal(bytes)
            } catch {
                throw SindriError(.rollbackFailed, "the journal \(JournalFile.directory)/\(name) is damaged (\(error)); nothing was changed: inspect it and the snapshots in \(TOOL_STATE_DIRECTORY)/restore-snapshots")
            }
        }

        /// The transaction's status: from the last line when it is final, else from every record.
        func status() -> JournalStatus? {
            if let finishedStatus { return finishedStatus }
            guard let decoded = try? decode(), case .success(let status) = JournalRecovery.status(of: decoded.records) else { return nil }
            return status
        }
    }

    /// All journals in the home, oldest first, each decoded only at its ends. A journal that
    /// cannot be read is an error naming it.
    static func stored(home: Int32, includingUndone: Bool = false) throws -> [Stored] {
        guard let directoryFD = try? FileOpener.openBeneath(home, directory, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) else { return [] }
        defer { close(directoryFD) }
        var result: [Stored] = []
        for name in DirectoryListing.names(directoryFD).sorted() where name.hasSuffix(".journal") || (includingUndone && name.hasSuffix(".journal.undone")) {
            let bytes: [UInt8]
            do { bytes = try FileContents.read(directoryFD, name) } catch {
                throw SindriError(.rollbackFailed, "the journal \(directory)/\(name) cannot be read (\(error)); nothing was changed: inspect it and the snapshots in \(TOOL_STATE_DIRECTORY)/restore-snapshots")
            }
            let ends = JournalCodec.decodeEnds(bytes)
            var header: JournalHeader?
            if case .begin(let value)? = ends.first { header = value }
            var finished: JournalStatus?
            switch ends.last {
            case .committed?: finished = .committed
            case .rolledBack?: finished = .rolledBack
            case .reverted?: finished = .reverted
            default: finished = nil
            }
            result.append(Stored(name: name, bytes: bytes, header: header, finishedStatus: header == nil ? nil : finished))
        }
        return result
    }
}

/// Small descriptor-relative file helpers.
enum FileContents {
    /// Reads a whole (small) file beneath `dirfd` without following symlinks.
    static func read(_ dirfd: Int32, _ path: String, limit: Int = 1 << 30) throws -> [UInt8] {
        let fd = try FileOpener.openBeneath(dirfd, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK)
        defer { close(fd) }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = try buffer.withUnsafeMutableBytes { try Syscalls.readSome(fd, into: $0) }
            if count == 0 { break }
            result.append(contentsOf: buffer[0..<count])
            if result.count > limit { throw SindriError(.io, "\(path) is too large") }
        }
        return result
    }
}

enum DirectoryListing {
    /// The entry names of an open directory (the descriptor stays open).
    static func names(_ dirfd: Int32) -> [String] {
        let copy = dup(dirfd)
        guard copy >= 0, let stream = fdopendir(copy) else { return [] }
        defer { closedir(stream) }
        rewinddir(stream)
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
