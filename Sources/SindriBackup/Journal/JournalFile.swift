import CSindriSystem
import Foundation
import SindriArchive
#if canImport(Glibc)
import Glibc
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
    private(set) var records: [JournalRecord] = []
    private var pending: [UInt8] = []

    /// Creates a new journal for transaction `identifier`.
    init(home: Int32, identifier: String) throws {
        name = "\(identifier).journal"
        do {
            _ = try ToolState.ensureDirectory(home)
            do { try Syscalls.makeDirectoryAt(home, Self.directory, mode: 0o700) } catch let failure as Syscalls.Failure where failure.errno == EEXIST {}
            let directoryFD = try FileOpener.openBeneath(home, Self.directory, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
            defer { close(directoryFD) }
            descriptor = try Syscalls.openAt(directoryFD, name, O_WRONLY | O_CREAT | O_EXCL | O_APPEND, mode: 0o600)
            try Syscalls.sync(directoryFD)
        } catch let failure as Syscalls.Failure {
            throw failure.error(path: Self.directory + "/" + "\(identifier).journal")
        }
    }

    /// Reopens an existing journal to append recovery records. A torn last line (power lost in
    /// the middle of a write) is cut off first, so the next record starts on a clean line.
    init(home: Int32, existing name: String, journal: DecodedJournal) throws {
        self.name = name
        self.records = journal.records
        do {
            descriptor = try FileOpener.openBeneath(home, Self.directory + "/" + name, O_WRONLY | O_APPEND | O_NOFOLLOW)
            if journal.tornTail != nil {
                guard ftruncate(descriptor, off_t(journal.validByteCount)) == 0 else {
                    throw Syscalls.Failure(operation: "ftruncate", errno: sindri_errno())
                }
                try Syscalls.sync(descriptor)
            }
        } catch let failure as Syscalls.Failure {
            throw failure.error(path: Self.directory + "/" + name)
        }
    }

    deinit { close(descriptor) }

    func append(_ record: JournalRecord) {
        records.append(record)
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

    /// All journals in the home, oldest first (identifiers start with the time), decoded.
    /// A journal that cannot be read or decoded is an error naming it: silently skipping it could
    /// leave an unfinished restore in place.
    static func all(home: Int32, includingUndone: Bool = false) throws -> [(name: String, journal: DecodedJournal)] {
        guard let directoryFD = try? FileOpener.openBeneath(home, directory, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) else { return [] }
        defer { close(directoryFD) }
        var result: [(String, DecodedJournal)] = []
        for name in DirectoryListing.names(directoryFD).sorted() where name.hasSuffix(".journal") || (includingUndone && name.hasSuffix(".journal.undone")) {
            do {
                let bytes = try FileContents.read(directoryFD, name)
                result.append((name, try JournalCodec.decodeJournal(bytes)))
            } catch {
                throw SindriError(.rollbackFailed, "the journal \(directory)/\(name) is damaged (\(error)); nothing was changed: inspect it and the snapshots in \(TOOL_STATE_DIRECTORY)/restore-snapshots")
            }
        }
        return result
    }
}

/// Small descriptor-relative file helpers.
enum FileContents {
    /// Reads a whole (small) file beneath `dirfd` without following symlinks.
    static func read(_ dirfd: Int32, _ path: String, limit: Int = 1 << 30) throws -> [UInt8] {
        let fd = try FileOpener.openBeneath(dirfd, path, O_RDONLY | O_NOFOLLOW)
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
