import Foundation
import SindriSystem
#if canImport(Glibc)
import Glibc
#endif

/// A local archive file read at any offset: its bytes, or, for an age file (recognized by its
/// header whatever its name), its plaintext `.tar.gz`. The readers that hop through an archive
/// (a base's index, the manifest of each archive in a directory) read through it, so an
/// encrypted archive is read exactly like a plain one once its key is given.
///
/// Blocking (`pread`): run it on `BlockingExecutor.shared`. One thread at a time.
final class ArchiveFileReader {
    let path: String
    /// Whether the file is an age file.
    let isEncrypted: Bool
    /// Whether an encrypted file's header asks for a passphrase (not an X25519 identity).
    let needsPassphrase: Bool
    private let descriptor: Int32
    private let decrypted: DecryptedChunkReader?
    /// Why the plaintext cannot be read (an encrypted file opened without keys).
    private let locked: SindriError?

    /// Opens `path`. An age file is opened with `keys`; with nil keys, it is only recognized
    /// (`isEncrypted`), and reading it throws.
    ///
    /// - Throws: `SindriError`: `.invalidArgument` when the file cannot be opened, is no regular
    ///   file, or is encrypted and `keys` has none of the kind it needs; `.verificationFailed`
    ///   for a wrong key or passphrase; `.archiveCorrupt` for a damaged header.
    init(path: String, keys: ArchiveDecryptionKeys?) throws {
        self.path = path
        let fd: Int32
        let size: Int
        do {
            fd = try Syscalls.openAt(AT_FDCWD, path, O_RDONLY)
            let info = try Syscalls.fileStatus(fd)
            if let refusal = SindriError.archiveNotAFile(path, mode: info.st_mode) {
                close(fd)
                throw refusal
            }
            size = Int(info.st_size)
        } catch let failure as Syscalls.Failure {
            throw SindriError.archiveCannotOpen(path, errno: failure.errno, operation: failure.operation)
        }
        descriptor = fd
        do {
            switch try EncryptedArchives.readHeader(DescriptorStream(descriptor: fd, name: path)) {
            case .plain:
                isEncrypted = false
                needsPassphrase = false
                decrypted = nil
                locked = nil
            case .encrypted(let prefix, let passphrase):
                isEncrypted = true
                needsPassphrase = passphrase
                if let keys {
                    let decryptor = try EncryptedArchives.decryptor(prefix: prefix, needsPassphrase: passphrase, keys: keys, name: path)
                    decrypted = try DecryptedChunkReader(decryptor: decryptor, fileSize: size, name: path) { offset, count in
                        var bytes = [UInt8](repeating: 0, count: count)
                        let got = try bytes.withUnsafeMutableBytes { try Syscalls.readFully(fd, into: $0, at: Int64(offset)) }
                        bytes.removeLast(count - got)
                        return bytes
                    }
                    locked = nil
                } else {
                    decrypted = nil
                    locked = SindriError(.invalidArgument, "\(path) is encrypted: give the key with --identity FILE (or SINDRI_IDENTITY_FILE)", path: path)
                }
            }
        } catch {
            close(fd)
            throw error
        }
    }

    deinit {
        // Opened read-only: its close has nothing to report.
        close(descriptor)
    }

    /// Reads up to `buffer.count` bytes of the (plaintext) archive at `offset`; fewer only at
    /// its end.
    func readFully(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws -> Int {
        if let locked { throw locked }
        if let decrypted { return try decrypted.read(into: buffer, at: Int(offset)) }
        return try Syscalls.readFully(descriptor, into: buffer, at: offset)
    }
}

/// The start of a descriptor read in order with `pread` (the header of an age file), leaving
/// the descriptor's offset alone.
private final class DescriptorStream: ArchiveByteSource {
    private let descriptor: Int32
    private var offset: Int64 = 0
    let name: String
    var totalBytes: UInt64? { nil }

    init(descriptor: Int32, name: String) {
        self.descriptor = descriptor
        self.name = name
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        do {
            let count = try Syscalls.readFully(descriptor, into: buffer, at: offset)
            offset += Int64(count)
            return count
        } catch let failure as Syscalls.Failure {
            throw failure.error(path: name)
        }
    }
}
