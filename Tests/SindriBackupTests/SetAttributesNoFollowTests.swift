import Foundation
import SindriSystem
import Testing
@testable import SindriBackup
#if canImport(Glibc)
import Glibc
#endif

/// `Syscalls.setAttributesNoFollow` changes the entry a name points at now, never a symlink's
/// target: the way every attribute change on the home is made.
@Suite("attributes are set without following symlinks")
struct SetAttributesNoFollowTests {
    final class Scratch {
        let path: String
        let fd: Int32
        init() throws {
            path = NSTemporaryDirectory() + "sindri-attrs-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            fd = open(path, O_RDONLY | O_DIRECTORY)
        }
        deinit {
            close(fd)
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    @Test("a file and a directory get mode, owner and nanosecond mtime")
    func fileAndDirectory() throws {
        let scratch = try Scratch()
        FileManager.default.createFile(atPath: scratch.path + "/f", contents: Data("x".utf8))
        try FileManager.default.createDirectory(atPath: scratch.path + "/d", withIntermediateDirectories: false)
        for name in ["f", "d"] {
            try Syscalls.setAttributesNoFollow(scratch.fd, name, mode: 0o751, owner: (getuid(), getgid()),
                                               seconds: 1_600_000_000, nanoseconds: 123_456_789)
            var info = stat()
            #expect(lstat(scratch.path + "/" + name, &info) == 0)
            #expect(info.st_mode & 0o7777 == 0o751)
            #expect(info.st_mtim.tv_sec == 1_600_000_000 && info.st_mtim.tv_nsec == 123_456_789)
        }
    }

    @Test("a symlink's target keeps its mode and times; the link gets the times")
    func symlinkTargetUntouched() throws {
        let scratch = try Scratch()
        let target = scratch.path + "/outside-target"
        FileManager.default.createFile(atPath: target, contents: Data("secret".utf8), attributes: [.posixPermissions: 0o600])
        var before = stat()
        #expect(lstat(target, &before) == 0)
        #expect(symlink(target, scratch.path + "/link") == 0)
        try Syscalls.setAttributesNoFollow(scratch.fd, "link", mode: 0o777, owner: nil, seconds: 1_500_000_000, nanoseconds: 0)
        var after = stat()
        #expect(lstat(target, &after) == 0)
        #expect(after.st_mode == before.st_mode)
        #expect(after.st_mtim.tv_sec == before.st_mtim.tv_sec && after.st_mtim.tv_nsec == before.st_mtim.tv_nsec)
        var link = stat()
        #expect(lstat(scratch.path + "/link", &link) == 0)
        #expect(link.st_mtim.tv_sec == 1_500_000_000)
    }
}
