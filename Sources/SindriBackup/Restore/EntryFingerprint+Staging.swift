import CSindriSystem
import SindriArchive
#if canImport(Glibc)
import Glibc
import SindriJournal
import SindriSystem
#endif

extension EntryFingerprint {
    /// The fingerprint of a staged entry, taken just before the step that renames it into the
    /// home (a rename keeps type, size, mode and mtime). `digest` is the SHA256 stage 1 already
    /// computed for a file; without it (a merged shell config, a hard link) the staged file is
    /// hashed here.
    static func ofStaged(_ name: [UInt8], in staging: StagingArea, digest: [UInt8]?) throws -> EntryFingerprint {
        let entry = staging.locate(name)
        let info: stat
        do { info = try withCPath(entry.name) { try Syscalls.lstatAt(entry.directory, $0) } } catch let failure as Syscalls.Failure {
            throw failure.error(path: "staging entry \(PathBytes.display(name))")
        }
        var fingerprint = EntryFingerprint(
            kind: ((info.st_mode & S_IFMT) == S_IFREG) ? .file : ((info.st_mode & S_IFMT) == S_IFLNK) ? .symlink : ((info.st_mode & S_IFMT) == S_IFDIR) ? .directory : .other,
            size: UInt64(info.st_size), mtimeSeconds: Int64(info.st_mtim.tv_sec), mtimeNanoseconds: UInt32(info.st_mtim.tv_nsec),
            mode: UInt32(info.st_mode) & 0o7777)
        if ((info.st_mode & S_IFMT) == S_IFLNK) {
            fingerprint.linkTarget = try withCPath(entry.name) { try Syscalls.readLinkAt(entry.directory, $0) }
        } else if ((info.st_mode & S_IFMT) == S_IFREG) {
            if let digest {
                fingerprint.sha256 = FileDigest.hex(digest)
            } else {
                let fd = try withCPath(entry.name) { try Syscalls.openAt(entry.directory, $0, O_RDONLY | O_NOFOLLOW) }
                defer { close(fd) }
                fingerprint.sha256 = FileDigest.hex(try FileDigest.sha256(of: fd))
            }
        }
        return fingerprint
    }
}
