import CSindriSystem
#if canImport(Glibc)
import Glibc
#endif

/// Thin wrappers over the system calls the engine uses.
///
/// Each returns `Result<T, Errno>`-style values by throwing `Syscalls.Failure` and retry
/// `EINTR` in one place, so the layers above only decide what a failure means.
public enum Syscalls {
    /// A failed call: which one and its errno.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let operation: String
        public let errno: Int32

        package init(operation: String, errno: Int32) {
            self.operation = operation
            self.errno = errno
        }

        public var description: String { "\(operation) failed: \(String(cString: strerror(errno)))" }

        /// The engine error for this failure on `path`.
        public func error(path: String?, file: String = #fileID, line: Int = #line) -> SindriError {
            SindriError.syscall(operation, errno: errno, path: path, file: file, line: line)
        }
    }

    @inline(__always)
    static func retrying<T: BinaryInteger>(_ operation: String, _ body: () -> T) throws -> T {
        while true {
            let result = body()
            if result >= 0 { return result }
            let code = sindri_errno()
            if code == EINTR { continue }
            throw Failure(operation: operation, errno: code)
        }
    }

    /// `openat(dirfd, path, flags | O_CLOEXEC, mode)`.
    public static func openAt(_ dirfd: Int32, _ path: UnsafePointer<CChar>, _ flags: Int32, mode: mode_t = 0) throws -> Int32 {
        try retrying("openat") { open(dirfd: dirfd, path: path, flags: flags | O_CLOEXEC, mode: mode) }
    }

    private static func open(dirfd: Int32, path: UnsafePointer<CChar>, flags: Int32, mode: mode_t) -> Int32 {
        Glibc.openat(dirfd, path, flags, mode)
    }

    /// `openat2` with `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS`: the kernel guarantees the result lies
    /// under `dirfd` and that no symlink was followed on the way.
    public static func openBeneath(_ dirfd: Int32, _ path: UnsafePointer<CChar>, _ flags: Int32, mode: mode_t = 0) throws -> Int32 {
        try retrying("openat2") { sindri_open_beneath(dirfd, path, flags, UInt32(mode)) }
    }

    /// `fstatat(dirfd, path, AT_SYMLINK_NOFOLLOW)`.
    public static func lstatAt(_ dirfd: Int32, _ path: UnsafePointer<CChar>) throws -> stat {
        var info = stat()
        _ = try retrying("fstatat") { fstatat(dirfd, path, &info, AT_SYMLINK_NOFOLLOW) }
        return info
    }

    /// `fstat(fd)`.
    public static func fileStatus(_ fd: Int32) throws -> stat {
        var info = stat()
        _ = try retrying("fstat") { fstat(fd, &info) }
        return info
    }

    /// `readlinkat`: the target bytes of a symlink, never decoded.
    public static func readLinkAt(_ dirfd: Int32, _ path: UnsafePointer<CChar>) throws -> [UInt8] {
        var capacity = 256
        while true {
            var buffer = [UInt8](repeating: 0, count: capacity)
            let count = try buffer.withUnsafeMutableBytes { (raw) throws -> Int in
                try retrying("readlinkat") { readlinkat(dirfd, path, raw.baseAddress!.assumingMemoryBound(to: CChar.self), raw.count) }
            }
            if count < capacity { return Array(buffer[0..<count]) }
            capacity *= 4
        }
    }

    /// `pread` until `count` bytes or end of file; returns bytes read (short only at EOF).
    public static func readFully(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws -> Int {
        var done = 0
        while done < buffer.count {
            let n = try retrying("pread") { pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset) + off_t(done)) }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// `read` until `count` bytes or end of stream; returns bytes read.
    public static func readSome(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try retrying("read") { read(fd, buffer.baseAddress!, buffer.count) }
    }

    /// `write` all of `bytes`, retrying short writes and `EINTR`.
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let n = try retrying("write") { write(fd, bytes.baseAddress! + done, bytes.count - done) }
            done += n
        }
    }

    /// `pwrite` all of `bytes` at `offset`.
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int64) throws {
        var done = 0
        while done < bytes.count {
            let n = try retrying("pwrite") { pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done)) }
            done += n
        }
    }

    /// `fsync(fd)`; an error here means data may not be on disk and is always a failure.
    public static func sync(_ fd: Int32) throws {
        _ = try retrying("fsync") { fsync(fd) }
    }

    /// `close(fd)`; close errors are reported (NFS and some filesystems report write errors here).
    public static func closeChecked(_ fd: Int32) throws {
        if Glibc.close(fd) != 0 {
            let code = sindri_errno()
            if code != EINTR { throw Failure(operation: "close", errno: code) }
        }
    }

    /// `renameat`.
    public static func renameAt(_ fromDir: Int32, _ from: UnsafePointer<CChar>, _ toDir: Int32, _ to: UnsafePointer<CChar>) throws {
        _ = try retrying("renameat") { renameat(fromDir, from, toDir, to) }
    }

    /// `unlinkat(dirfd, path, flags)`.
    public static func unlinkAt(_ dirfd: Int32, _ path: UnsafePointer<CChar>, flags: Int32 = 0) throws {
        _ = try retrying("unlinkat") { unlinkat(dirfd, path, flags) }
    }

    /// `mkdirat`.
    public static func makeDirectoryAt(_ dirfd: Int32, _ path: UnsafePointer<CChar>, mode: mode_t) throws {
        _ = try retrying("mkdirat") { mkdirat(dirfd, path, mode) }
    }

    /// `renameat2(..., RENAME_NOREPLACE)`: fails with `EEXIST` instead of replacing what is there.
    public static func renameNoReplace(_ fromDir: Int32, _ from: UnsafePointer<CChar>, _ toDir: Int32, _ to: UnsafePointer<CChar>) throws {
        _ = try retrying("renameat2") { sindri_rename_noreplace(fromDir, from, toDir, to) }
    }

    /// `symlinkat(target, dirfd, name)`.
    public static func symlinkAt(_ target: UnsafePointer<CChar>, _ dirfd: Int32, _ name: UnsafePointer<CChar>) throws {
        _ = try retrying("symlinkat") { symlinkat(target, dirfd, name) }
    }

    /// `fchmod(fd, mode)`. Attributes are only ever changed through a descriptor of the entry
    /// itself: a name can be swapped for a symlink between a check and a `*at` call, a
    /// descriptor cannot.
    public static func changeMode(_ fd: Int32, _ mode: mode_t) throws {
        _ = try retrying("fchmod") { fchmod(fd, mode) }
    }

    /// `fchown(fd, uid, gid)` (see `changeMode` for why through a descriptor).
    public static func changeOwner(_ fd: Int32, uid: uid_t, gid: gid_t) throws {
        _ = try retrying("fchown") { fchown(fd, uid, gid) }
    }

    /// `futimens(fd, [mtime, mtime])`: access and modification time both set to `seconds.nanoseconds`.
    public static func setTimes(_ fd: Int32, seconds: Int64, nanoseconds: Int = 0) throws {
        var times = [timespec(tv_sec: Int(seconds), tv_nsec: nanoseconds), timespec(tv_sec: Int(seconds), tv_nsec: nanoseconds)]
        _ = try retrying("futimens") { futimens(fd, &times) }
    }

    /// `utimensat(dirfd, name, [mtime, mtime], AT_SYMLINK_NOFOLLOW)`: for symlinks, which cannot
    /// be opened; never follows the last component.
    public static func setLinkTimes(_ dirfd: Int32, _ name: UnsafePointer<CChar>, seconds: Int64) throws {
        var times = [timespec(tv_sec: Int(seconds), tv_nsec: 0), timespec(tv_sec: Int(seconds), tv_nsec: 0)]
        _ = try retrying("utimensat") { utimensat(dirfd, name, &times, AT_SYMLINK_NOFOLLOW) }
    }

    /// `fchownat(dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW)`: for symlinks (see `setLinkTimes`).
    public static func changeLinkOwner(_ dirfd: Int32, _ name: UnsafePointer<CChar>, uid: uid_t, gid: gid_t) throws {
        _ = try retrying("fchownat") { fchownat(dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) }
    }

    /// `O_PATH` and `AT_EMPTY_PATH` (Linux values), which Glibc exports only under _GNU_SOURCE.
    private static let openPath: Int32 = 0o10000000
    private static let atEmptyPath: Int32 = 0x1000

    /// Sets the mode, owner (when `owner` is given) and mtime of the entry `name` in `parent`
    /// without ever following a symlink, even one swapped in by the home's owner between a check
    /// and this call: the entry is opened `O_NOFOLLOW` and changed through that descriptor
    /// (`fchown`, `fchmod`, `futimens`). A symlink gets its owner and times (`AT_SYMLINK_NOFOLLOW`)
    /// and keeps its mode (links have none). An entry that cannot be opened for reading (a
    /// non-root rollback of a 0200 file) is reached through an `O_PATH` descriptor and its
    /// `/proc/self/fd` name, which names that same inode whatever happens to `name`.
    public static func setAttributesNoFollow(
        _ parent: Int32, _ name: UnsafePointer<CChar>, mode: mode_t, owner: (uid: uid_t, gid: gid_t)?,
        seconds: Int64, nanoseconds: Int
    ) throws {
        var fd = Glibc.openat(parent, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
        var viaPath = false
        if fd < 0 {
            let code = sindri_errno()
            if code == ELOOP {
                // A symlink: owner and times of the link itself; the name cannot be followed.
                if let owner { try changeLinkOwner(parent, name, uid: owner.uid, gid: owner.gid) }
                var times = [timespec(tv_sec: Int(seconds), tv_nsec: nanoseconds), timespec(tv_sec: Int(seconds), tv_nsec: nanoseconds)]
                _ = try retrying("utimensat") { utimensat(parent, name, &times, AT_SYMLINK_NOFOLLOW) }
                return
            }
            guard code == EACCES || code == EPERM else { throw Failure(operation: "openat", errno: code) }
            fd = try retrying("openat") { Glibc.openat(parent, name, Self.openPath | O_NOFOLLOW | O_CLOEXEC) }
            viaPath = true
        }
        defer { Glibc.close(fd) }
        if !viaPath {
            if let owner { try changeOwner(fd, uid: owner.uid, gid: owner.gid) }
            try changeMode(fd, mode)
            try setTimes(fd, seconds: seconds, nanoseconds: nanoseconds)
            return
        }
        let info = try fileStatus(fd)
        if info.isSymlink { throw Failure(operation: "openat", errno: ELOOP) }
        let proc = "/proc/self/fd/\(fd)"
        if let owner { _ = try retrying("fchownat") { fchownat(fd, "", owner.uid, owner.gid, Self.atEmptyPath) } }
        _ = try retrying("chmod") { chmod(proc, mode) }
        var times = [timespec(tv_sec: Int(seconds), tv_nsec: nanoseconds), timespec(tv_sec: Int(seconds), tv_nsec: nanoseconds)]
        _ = try retrying("utimensat") { utimensat(AT_FDCWD, proc, &times, 0) }
    }

    /// The free bytes available to unprivileged users on the filesystem holding `fd`.
    public static func availableBytes(_ fd: Int32) throws -> UInt64 {
        var info = statvfs()
        _ = try retrying("fstatvfs") { fstatvfs(fd, &info) }
        return UInt64(info.f_bavail) * UInt64(info.f_frsize)
    }
}

extension stat {
    /// The file type bits (`S_IFMT`) of `st_mode`.
    package var fileType: mode_t { st_mode & S_IFMT }
    package var isDirectory: Bool { fileType == S_IFDIR }
    package var isRegular: Bool { fileType == S_IFREG }
    package var isSymlink: Bool { fileType == S_IFLNK }
    package var modificationSeconds: Int64 { Int64(st_mtim.tv_sec) }
}

/// Calls `body` with a NUL-terminated copy of the path bytes.
@inline(__always)
package func withCPath<T>(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>) throws -> T) rethrows -> T {
    var copy = bytes
    copy.append(0)
    return try copy.withUnsafeBufferPointer { buffer in
        try buffer.withMemoryRebound(to: CChar.self) { chars in try body(chars.baseAddress!) }
    }
}
