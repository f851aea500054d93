#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Foundation

/// Turns a `WorkspacePlan` into files under a root directory.
///
/// Directories are created first, then regular files are written by a few threads (content generation is CPU
/// work, so two cores halve the time), then links, and finally every directory's timestamps are set, deepest
/// first, because creating entries inside a directory changes its mtime.
struct WorkspaceWriter {
    let root: String
    let renderer: ContentRenderer

    /// Writes every entry of `plan`.
    /// - Throws: `SyntheticWorkspaceError` naming the path and the failing call (`mkdir`, `open`, `write`, ...).
    func write(_ plan: WorkspacePlan) throws {
        var directoriesByDepth: [[PlannedEntry]] = []
        var filesByDirectory: [String: Int] = [:]
        var fileGroups: [[PlannedEntry]] = []
        for entry in plan.entries {
            switch entry.kind {
            case .directory:
                let depth = entry.path.utf8.reduce(0) { $1 == UInt8(ascii: "/") ? $0 + 1 : $0 }
                while directoriesByDepth.count <= depth { directoriesByDepth.append([]) }
                directoriesByDepth[depth].append(entry)
            case .file:
                // One thread per directory at a time: threads creating entries in the same directory only
                // queue on its inode lock.
                let parent = entry.path.lastIndex(of: "/").map { String(entry.path[..<$0]) } ?? ""
                if let group = filesByDirectory[parent] {
                    fileGroups[group].append(entry)
                } else {
                    filesByDirectory[parent] = fileGroups.count
                    fileGroups.append([entry])
                }
            default:
                break
            }
        }
        for level in directoriesByDepth {
            try forEachInParallel(level.map { [$0] }) { entry, _ in try makeDirectory(entry) }
        }
        try forEachInParallel(fileGroups) { entry, chunk in try writeFile(entry, chunk: &chunk) }
        for entry in plan.entries {
            switch entry.kind {
            case .symlink(let target):
                try check(symlink(target, fullPath(entry.path)), "symlink", entry.path)
                try setTimes(entry, flags: AT_SYMLINK_NOFOLLOW)
            case .hardLink(let existingPath):
                try check(link(fullPath(existingPath), fullPath(entry.path)), "link", entry.path)
            default:
                break
            }
        }
        // Only now are the directories complete: setting a directory's time does not touch its parent's.
        try forEachInParallel(directoriesByDepth.flatMap { $0 }.map { [$0] }) { entry, _ in
            try check(chmod(fullPath(entry.path), mode_t(entry.mode)), "chmod", entry.path)
            try setTimes(entry, flags: 0)
        }
    }

    /// Sets the root's own timestamp, which the entries' creation changed.
    func setRootTime(_ time: PlannedTimestamp) throws {
        var times = [timespec(tv_sec: time.seconds, tv_nsec: time.nanoseconds),
                     timespec(tv_sec: time.seconds, tv_nsec: time.nanoseconds)]
        try check(utimensat(AT_FDCWD, root, &times, 0), "utimensat", root)
    }

    /// Runs `body` over every entry of `groups` on several threads, a group at a time per thread. Creating a
    /// file costs a journal round trip on ext4 whatever the CPU does, so more threads than cores overlap that
    /// latency; each thread owns its scratch buffer.
    private func forEachInParallel(
        _ groups: [[PlannedEntry]], _ body: @Sendable (PlannedEntry, inout [UInt8]) throws -> Void
    ) throws {
        let workers = min(max(2 * ProcessInfo.processInfo.activeProcessorCount, 4), 8, max(groups.count / 4, 1))
        let state = WriterState()
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            var chunk: [UInt8] = []
            while let index = state.nextIndex(below: groups.count) {
                do {
                    for entry in groups[index] { try body(entry, &chunk) }
                } catch {
                    state.record(error)
                    return
                }
            }
        }
        if let error = state.firstError { throw error }
    }

    private func writeFile(_ entry: PlannedEntry, chunk: inout [UInt8]) throws {
        guard case .file(let content, let size, let seed) = entry.kind else { return }
        let path = fullPath(entry.path)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else { throw failure("open", entry.path) }
        do {
            try renderer.render(content, size: size, seed: seed, chunk: &chunk) { buffer in
                try writeAll(descriptor, buffer, entry.path)
            }
            try check(fchmod(descriptor, mode_t(entry.mode)), "fchmod", entry.path)
            let time = entry.modificationTime
            var times = [timespec(tv_sec: time.seconds, tv_nsec: time.nanoseconds),
                         timespec(tv_sec: time.seconds, tv_nsec: time.nanoseconds)]
            try check(futimens(descriptor, &times), "futimens", entry.path)
        } catch {
            // The partial file goes, so a failed generation leaves no half-written file that a
            // later run would take for a whole one; the error reported is the first one.
            guard close(descriptor) == 0 else { throw failure("close after \(error)", entry.path) }
            guard unlink(path) == 0 else { throw failure("unlink after \(error)", entry.path) }
            throw error
        }
        try check(close(descriptor), "close", entry.path)
    }

    private func writeAll(_ descriptor: Int32, _ buffer: UnsafeRawBufferPointer, _ path: String) throws {
        var offset = 0
        while offset < buffer.count {
            let written = systemWrite(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw failure("write", path)
            }
            offset += written
        }
    }

    private func makeDirectory(_ entry: PlannedEntry) throws {
        // Created owner-writable; the planned mode is applied at the end, after the directory is filled.
        try check(mkdir(fullPath(entry.path), 0o700), "mkdir", entry.path)
    }

    private func setTimes(_ entry: PlannedEntry, flags: Int32) throws {
        let time = entry.modificationTime
        var times = [timespec(tv_sec: time.seconds, tv_nsec: time.nanoseconds),
                     timespec(tv_sec: time.seconds, tv_nsec: time.nanoseconds)]
        try check(utimensat(AT_FDCWD, fullPath(entry.path), &times, flags), "utimensat", entry.path)
    }

    private func fullPath(_ relative: String) -> String {
        root + "/" + relative
    }

    private func check(_ result: Int32, _ call: String, _ path: String) throws {
        if result != 0 { throw failure(call, path) }
    }

    private func failure(_ call: String, _ path: String, file: StaticString = #fileID, line: UInt = #line) -> SyntheticWorkspaceError {
        let code = errno
        return SyntheticWorkspaceError(
            code: .systemCallFailed, path: fullPath(path), call: call, errno: code, file: file, line: line)
    }
}

private func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    Glibc.write(descriptor, buffer, count)
    #else
    Darwin.write(descriptor, buffer, count)
    #endif
}

/// The shared cursor and first error of the writer threads.
private final class WriterState: @unchecked Sendable {
    // Guarded by `lock`; a lock rather than an actor because the writers are plain threads doing blocking I/O.
    private let lock = NSLock()
    private var next = 0
    private var error: (any Error)?

    func nextIndex(below count: Int) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard error == nil, next < count else { return nil }
        next += 1
        return next - 1
    }

    func record(_ newError: any Error) {
        lock.lock()
        defer { lock.unlock() }
        if error == nil { error = newError }
    }

    var firstError: (any Error)? {
        lock.lock()
        defer { lock.unlock() }
        return error
    }
}
