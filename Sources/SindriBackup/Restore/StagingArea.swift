import CSindriSystem
import Foundation
import SindriArchive
#if canImport(Glibc)
import Glibc
#endif

/// A restore transaction's private directory on the home's filesystem:
/// `<home>/.sindri/txn-<id>/` with `staging/` (verified archive contents, renamed into place on
/// commit) and `aside/` (originals moved out of the way, renamed back on rollback).
///
/// Being on the same filesystem as the home is what makes every apply step a `rename`, which is
/// atomic, cheap and undoable.
final class StagingArea: @unchecked Sendable {
    let homeDescriptor: Int32
    let identifier: String
    /// `.sindri/txn-<id>`, relative to the home.
    let relativePath: String
    let stagingDescriptor: Int32
    let asideDescriptor: Int32
    private let createdToolDirectory: Bool
    private var removed = false

    init(homeDescriptor: Int32, identifier: String) throws {
        self.homeDescriptor = homeDescriptor
        self.identifier = identifier
        relativePath = "\(TOOL_STATE_DIRECTORY)/txn-\(identifier)"
        do {
            createdToolDirectory = try ToolState.ensureDirectory(homeDescriptor)
            try Syscalls.makeDirectoryAt(homeDescriptor, relativePath, mode: 0o700)
            let transaction = try FileOpener.openBeneath(homeDescriptor, relativePath, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
            defer { close(transaction) }
            try Syscalls.makeDirectoryAt(transaction, "staging", mode: 0o700)
            try Syscalls.makeDirectoryAt(transaction, "aside", mode: 0o700)
            stagingDescriptor = try Syscalls.openAt(transaction, "staging", O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
            asideDescriptor = try Syscalls.openAt(transaction, "aside", O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
        } catch let failure as Syscalls.Failure {
            throw failure.error(path: "\(TOOL_STATE_DIRECTORY)/txn-\(identifier)")
        }
    }

    /// Reopens the directory of an earlier, interrupted transaction (for its rollback).
    init(homeDescriptor: Int32, existingIdentifier identifier: String) throws {
        self.homeDescriptor = homeDescriptor
        self.identifier = identifier
        relativePath = "\(TOOL_STATE_DIRECTORY)/txn-\(identifier)"
        createdToolDirectory = false
        do {
            stagingDescriptor = try FileOpener.openBeneath(homeDescriptor, relativePath + "/staging", O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
            asideDescriptor = try FileOpener.openBeneath(homeDescriptor, relativePath + "/aside", O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
        } catch let failure as Syscalls.Failure {
            throw failure.error(path: relativePath)
        }
    }

    deinit {
        close(stagingDescriptor)
        close(asideDescriptor)
    }

    /// Creates a new staged file for writing.
    func createFile(_ name: String) throws -> Int32 {
        do {
            return try Syscalls.openAt(stagingDescriptor, name, O_WRONLY | O_CREAT | O_EXCL, mode: 0o600)
        } catch let failure as Syscalls.Failure {
            throw failure.error(path: "staging area")
        }
    }

    var stagingPath: String { relativePath + "/staging" }
    var asidePath: String { relativePath + "/aside" }

    /// Removes the whole transaction directory, and `.sindri` itself when this restore created it
    /// and it is empty again, so a refused restore leaves the home exactly as it was.
    func remove() {
        guard !removed else { return }
        removed = true
        FileTree.removeTree(homeDescriptor, relativePath)
        if createdToolDirectory { _ = unlinkat(homeDescriptor, TOOL_STATE_DIRECTORY, AT_REMOVEDIR) }
    }
}

/// The tool's own directory in the home.
enum ToolState {
    /// Creates `<home>/.sindri` when missing (mode 0700); returns whether it created it.
    static func ensureDirectory(_ home: Int32) throws -> Bool {
        do {
            try Syscalls.makeDirectoryAt(home, TOOL_STATE_DIRECTORY, mode: 0o700)
            return true
        } catch let failure as Syscalls.Failure where failure.errno == EEXIST {
            let info = try Syscalls.lstatAt(home, TOOL_STATE_DIRECTORY)
            guard info.isDirectory else {
                throw SindriError(.io, "\(TOOL_STATE_DIRECTORY) in the home is not a directory", path: TOOL_STATE_DIRECTORY)
            }
            return false
        }
    }
}

/// Descriptor-relative tree operations that never follow symlinks.
enum FileTree {
    /// `rm -rf` of `path` beneath `dirfd`, without following any symlink.
    static func removeTree(_ dirfd: Int32, _ path: String) {
        guard let info = try? Syscalls.lstatAt(dirfd, path) else { return }
        if !info.isDirectory {
            _ = unlinkat(dirfd, path, 0)
            return
        }
        guard let fd = try? FileOpener.openBeneath(dirfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) else { return }
        if let stream = fdopendir(fd) {
            var names: [String] = []
            while let entry = readdir(stream) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
                }
                if name != "." && name != ".." { names.append(name) }
            }
            let inner = dirfd_of(stream)
            for name in names { removeTree(inner, name) }
            closedir(stream)
        } else {
            close(fd)
        }
        _ = unlinkat(dirfd, path, AT_REMOVEDIR)
    }

    private static func dirfd_of(_ stream: OpaquePointer) -> Int32 { Glibc.dirfd(stream) }
}
