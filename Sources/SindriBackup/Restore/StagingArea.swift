import CSindriSystem
import Foundation
import SindriArchive
#if canImport(Glibc)
import Glibc
import SindriSystem
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
    /// `.sindri/txn-<id>`, relative to the home (for messages; every operation goes through
    /// `toolDescriptor`, never through this path).
    let relativePath: String
    let stagingDescriptor: Int32
    let asideDescriptor: Int32
    /// `staging/L0`, `staging/L1`, ...: one per stage-1 lane.
    let laneDescriptors: [Int32]
    /// `.sindri`, opened once beneath the home without following symlinks: the transaction
    /// directory is created and removed relative to it, so a `.sindri` swapped for a symlink by
    /// the home's owner cannot steer either outside the home.
    private let toolDescriptor: Int32
    private let createdToolDirectory: Bool
    private var removed = false

    private var transactionName: String { "txn-\(identifier)" }

    init(homeDescriptor: Int32, identifier: String, laneCount: Int = StagingLanes.defaultCount) throws {
        self.homeDescriptor = homeDescriptor
        self.identifier = identifier
        relativePath = "\(TOOL_STATE_DIRECTORY)/txn-\(identifier)"
        let tool = try ToolState.open(homeDescriptor)
        toolDescriptor = tool.descriptor
        createdToolDirectory = tool.created
        let name = "txn-\(identifier)"
        var madeTransaction = false
        var opened: [Int32] = []
        do {
            try Syscalls.makeDirectoryAt(tool.descriptor, name, mode: 0o700)
            madeTransaction = true
            let transaction = try FileOpener.openBeneath(tool.descriptor, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
            defer { close(transaction) }
            try Syscalls.makeDirectoryAt(transaction, "staging", mode: 0o700)
            try Syscalls.makeDirectoryAt(transaction, "aside", mode: 0o700)
            let staging = try Syscalls.openAt(transaction, "staging", O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
            opened.append(staging)
            let aside = try Syscalls.openAt(transaction, "aside", O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
            opened.append(aside)
            var lanes: [Int32] = []
            for lane in 0..<laneCount {
                try Syscalls.makeDirectoryAt(staging, Self.laneDirectory(lane), mode: 0o700)
                let fd = try Syscalls.openAt(staging, Self.laneDirectory(lane), O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
                opened.append(fd)
                lanes.append(fd)
            }
            stagingDescriptor = staging
            asideDescriptor = aside
            laneDescriptors = lanes
        } catch {
            // A refused restore leaves nothing behind: no half-made txn directory (ENOSPC or
            // EDQUOT while making it), no .sindri this run created.
            for fd in opened { close(fd) }
            if madeTransaction { FileTree.removeTree(tool.descriptor, name) }
            if tool.created { ToolState.removeIfEmpty(homeDescriptor, tool.descriptor) }
            close(tool.descriptor)
            if let failure = error as? Syscalls.Failure { throw failure.error(path: "\(TOOL_STATE_DIRECTORY)/\(name)") }
            throw error
        }
    }

    /// Reopens the directory of an earlier, interrupted transaction (for its rollback).
    init(homeDescriptor: Int32, existingIdentifier identifier: String) throws {
        self.homeDescriptor = homeDescriptor
        self.identifier = identifier
        relativePath = "\(TOOL_STATE_DIRECTORY)/txn-\(identifier)"
        createdToolDirectory = false
        let tool = try ToolState.open(homeDescriptor, create: false)
        toolDescriptor = tool.descriptor
        do {
            stagingDescriptor = try FileOpener.openBeneath(tool.descriptor, "txn-\(identifier)/staging", O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
        } catch let failure as Syscalls.Failure {
            close(tool.descriptor)
            throw failure.error(path: relativePath)
        }
        do {
            asideDescriptor = try FileOpener.openBeneath(tool.descriptor, "txn-\(identifier)/aside", O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
        } catch let failure as Syscalls.Failure {
            close(stagingDescriptor)
            close(tool.descriptor)
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
        close(toolDescriptor)
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
        FileTree.removeTree(toolDescriptor, transactionName)
        if createdToolDirectory { ToolState.removeIfEmpty(homeDescriptor, toolDescriptor) }
    }
}

/// The tool's own directory in the home, `.sindri`, and its subdirectories.
///
/// The home belongs to its user, who can rename or replace `.sindri` at any moment, also while
/// root restores. So `.sindri` is opened once, beneath the home and refusing symlinks
/// (`openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)`), and every operation inside it is relative
/// to that descriptor with a single-component name: never a `.sindri/...` path that the kernel
/// would resolve again, through whatever `.sindri` has become.
enum ToolState {
    /// Opens `<home>/.sindri`, creating it (mode 0700) when missing and `create` is set; returns
    /// the descriptor (owned by the caller) and whether this call created it.
    static func open(_ home: Int32, create: Bool = true) throws -> (descriptor: Int32, created: Bool) {
        var created = false
        if create {
            do {
                try Syscalls.makeDirectoryAt(home, TOOL_STATE_DIRECTORY, mode: 0o700)
                created = true
            } catch let failure as Syscalls.Failure where failure.errno == EEXIST {
            } catch let failure as Syscalls.Failure {
                throw failure.error(path: TOOL_STATE_DIRECTORY)
            }
        }
        do {
            return (try FileOpener.openBeneath(home, TOOL_STATE_DIRECTORY, O_RDONLY | O_DIRECTORY | O_NOFOLLOW), created)
        } catch let failure as Syscalls.Failure where [ELOOP, ENOTDIR, EXDEV].contains(failure.errno) {
            throw SindriError(.io, "\(TOOL_STATE_DIRECTORY) in the home is not a directory", path: TOOL_STATE_DIRECTORY)
        } catch let failure as Syscalls.Failure {
            throw failure.error(path: TOOL_STATE_DIRECTORY)
        }
    }

    /// Opens `.sindri/<name>` (a single component), creating both when missing; returns the
    /// descriptor (owned by the caller) and whether this call created `<name>`.
    static func openSubdirectory(_ home: Int32, _ name: String, create: Bool = true) throws -> (descriptor: Int32, created: Bool) {
        let tool = try open(home, create: create)
        defer { close(tool.descriptor) }
        var created = false
        if create {
            do {
                try Syscalls.makeDirectoryAt(tool.descriptor, name, mode: 0o700)
                created = true
            } catch let failure as Syscalls.Failure where failure.errno == EEXIST {
            } catch let failure as Syscalls.Failure {
                throw failure.error(path: "\(TOOL_STATE_DIRECTORY)/\(name)")
            }
        }
        do {
            return (try FileOpener.openBeneath(tool.descriptor, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW), created)
        } catch let failure as Syscalls.Failure {
            throw failure.error(path: "\(TOOL_STATE_DIRECTORY)/\(name)")
        }
    }

    /// Creates `<home>/.sindri` when missing (mode 0700); returns whether it created it.
    static func ensureDirectory(_ home: Int32) throws -> Bool {
        let tool = try open(home)
        close(tool.descriptor)
        return tool.created
    }

    /// Removes `.sindri` from the home if it is still the directory `tool` was opened on and is
    /// empty (for a run that created it and is leaving no trace).
    static func removeIfEmpty(_ home: Int32, _ tool: Int32) {
        guard let current = try? Syscalls.lstatAt(home, TOOL_STATE_DIRECTORY), let opened = try? Syscalls.fileStatus(tool),
              EntryIdentity(current) == EntryIdentity(opened) else { return }
        CleanupLog.check(unlinkat(home, TOOL_STATE_DIRECTORY, AT_REMOVEDIR), "could not remove the empty \(TOOL_STATE_DIRECTORY) this run created")
    }

    /// Removes the empty subdirectory `.sindri/<name>` (a run that created it and failed).
    static func removeEmptySubdirectory(_ home: Int32, _ name: String) {
        guard let tool = try? open(home, create: false) else { return }
        defer { close(tool.descriptor) }
        CleanupLog.check(unlinkat(tool.descriptor, name, AT_REMOVEDIR), "could not remove the empty \(TOOL_STATE_DIRECTORY)/\(name) this run created")
    }

    /// Removes the file `.sindri/<directory>/<name>`, through descriptors (a run's own journal
    /// or snapshot, when it leaves no trace).
    static func removeFile(_ home: Int32, directory: String, name: String) {
        guard let sub = try? openSubdirectory(home, directory, create: false) else { return }
        defer { close(sub.descriptor) }
        CleanupLog.check(unlinkat(sub.descriptor, name, 0), "could not remove \(TOOL_STATE_DIRECTORY)/\(directory)/\(name), which this run left unfinished (remove it by hand)")
    }
}

/// Descriptor-relative tree operations that never follow symlinks.
enum FileTree {
    /// `rm -rf` of `path` beneath `dirfd`, without following any symlink.
    static func removeTree(_ dirfd: Int32, _ path: String) {
        guard let info = try? Syscalls.lstatAt(dirfd, path) else { return }
        if !((info.st_mode & S_IFMT) == S_IFDIR) {
            CleanupLog.check(unlinkat(dirfd, path, 0), "could not remove \(path) while cleaning up")
            return
        }
        guard let fd = try? FileOpener.openBeneath(dirfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) else { return }
        // A read-only directory in a parked tree (a 0555 directory the user had) cannot be
        // emptied by a non-root run: make it writable first, through its descriptor; it is being
        // removed anyway.
        if let opened = try? Syscalls.fileStatus(fd), opened.st_mode & 0o300 != 0o300 {
            try? Syscalls.changeMode(fd, (opened.st_mode & 0o7777) | 0o700)
        }
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
        CleanupLog.check(unlinkat(dirfd, path, AT_REMOVEDIR), "could not remove the directory \(path) while cleaning up")
    }

    /// Removes everything inside the open directory `dirfd` (which stays), never following a symlink.
    static func removeContents(_ dirfd: Int32) {
        for name in DirectoryListing.names(dirfd) { removeTree(dirfd, name) }
    }

    private static func dirfd_of(_ stream: OpaquePointer) -> Int32 { Glibc.dirfd(stream) }
}
