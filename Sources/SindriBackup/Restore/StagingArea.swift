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
/// atomic, cheap and undoable. Stage 1 writes files from several threads; each writes into its own
/// subdirectory `staging/L<k>/` (creating entries in one directory serializes on its lock: that
/// cost 0.7 s of spinning on 48k files). Their names, `L<k>-<n>`, say which subdirectory holds
/// them, so the journal still records single names and `locate` finds them.
final class StagingArea: @unchecked Sendable {
    let homeDescriptor: Int32
    let identifier: String
    /// `.sindri/txn-<id>`, relative to the home.
    let relativePath: String
    let stagingDescriptor: Int32
    let asideDescriptor: Int32
    /// `staging/L0`, `staging/L1`, ...: one per stage-1 lane.
    let laneDescriptors: [Int32]
    private let createdToolDirectory: Bool
    private var removed = false

    init(homeDescriptor: Int32, identifier: String, laneCount: Int = StagingLanes.defaultCount) throws {
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
            let staging = stagingDescriptor
            laneDescriptors = try (0..<laneCount).map { lane in
                try Syscalls.makeDirectoryAt(staging, Self.laneDirectory(lane), mode: 0o700)
                return try Syscalls.openAt(staging, Self.laneDirectory(lane), O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
            }
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
        var lanes: [Int32] = []
        while let fd = try? Syscalls.openAt(stagingDescriptor, Self.laneDirectory(lanes.count), O_RDONLY | O_DIRECTORY | O_NOFOLLOW) {
            lanes.append(fd)
        }
        laneDescriptors = lanes
    }

    deinit {
        close(stagingDescriptor)
        close(asideDescriptor)
        for fd in laneDescriptors { close(fd) }
    }

    private static func laneDirectory(_ lane: Int) -> String { "L\(lane)" }

    /// The staging name of member `member`'s content written by lane `lane`.
    static func laneFileName(lane: Int, member: Int) -> String { "L\(lane)-\(member)" }

    /// The directory (descriptor) and name within it of the staging entry `name`: a lane's file
    /// lives in its lane directory, everything else directly in `staging/`.
    func locate(_ name: [UInt8]) -> (directory: Int32, name: [UInt8]) {
        guard name.first == UInt8(ascii: "L"), let dash = name.firstIndex(of: UInt8(ascii: "-")), dash > 1,
              name[1..<dash].allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              let lane = Int(String(decoding: name[1..<dash], as: UTF8.self)), lane < laneDescriptors.count else {
            return (stagingDescriptor, name)
        }
        return (laneDescriptors[lane], name)
    }

    /// Creates a new staged file for writing (`mode` is subject to the umask; the staging
    /// directory itself is 0700). Throws the `Syscalls.Failure`; the caller names the member.
    func createFile(_ name: String, mode: mode_t = 0o600) throws -> Int32 {
        try Syscalls.openAt(locate(Array(name.utf8)).directory, name, O_WRONLY | O_CREAT | O_EXCL, mode: mode)
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
