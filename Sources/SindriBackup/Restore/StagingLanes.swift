import CSindriSystem
import Crypto
import Foundation
import Synchronization
import SindriArchive
#if canImport(Glibc)
import Glibc
import SindriSystem
#endif

/// The per-file work of stage 1, spread over a few threads: hashing each file's content with
/// SHA256 and writing it into the staging area (create, write, owner, mode, mtime, close).
///
/// Why: parsing the tar stream is cheap and strictly sequential, but hashing and the file system
/// calls were two thirds of the thread that did everything (measured on the 1 GiB workspace:
/// that thread was saturated for 4 s while the inflate workers idled). Each file goes whole to
/// one lane (its hasher is sequential); a lane is a serial `BoundedPipeline` of depth `depth`
/// on one of the blocking-I/O worker threads, so a file spanning several gzip members is
/// continued where it stopped, and memory stays bounded. The scanner hands over one batch per
/// lane per inflated member (one hop per batch, not per file). Batches point into the inflated
/// member buffers, which are immutable arrays: a lane keeps them alive by holding a reference.
final class StagingLanes {
    /// What a lane must do, in order.
    enum Work: Sendable {
        /// A regular file starts: create its staged copy (when staging) and reset the hasher.
        case begin(member: Int, stagingName: String?, attributes: StagedAttributes)
        /// The next `count` content bytes of the current file, at `start` in the batch's buffer.
        case content(start: Int, count: Int)
        /// The current file is complete.
        case end
    }

    /// What a staged file gets before it is closed.
    struct StagedAttributes: Sendable {
        /// The member's path in the archive, for error messages.
        var path: [UInt8]
        var mode: UInt32
        var uid: UInt32
        var gid: UInt32
        var size: UInt64
        var modificationTime: Int64
    }

    /// Work for one lane, over one immutable buffer.
    struct Batch: Sendable {
        var buffer: [UInt8]
        var work: [Work] = []
        var bytes = 0
    }

    /// What the scanner and the lanes share: bytes queued per lane and the first failure.
    private final class Shared: Sendable {
        let queuedBytes: Mutex<[UInt64]>
        let failure = Mutex<(any Error)?>(nil)

        init(lanes: Int) { queuedBytes = Mutex(Array(repeating: 0, count: lanes)) }

        func fail(_ error: any Error) {
            failure.withLock { if $0 == nil { $0 = error } }
        }
    }

    private let lanes: [StagingLane]
    private let queues: [BoundedPipeline<Void>]
    private let shared: Shared
    private let worker: LaneWorker

    /// One lane per core, at least two and at most eight: each lane may hold `depth` batches of
    /// inflated members, so on a many-core machine the lane count must not choose how much
    /// memory a restore holds.
    static let defaultCount = min(8, max(2, ProcessInfo.processInfo.activeProcessorCount))

    /// `staging` nil: hash only (verify). With a staging area, one lane per lane directory.
    init(staging: StagingArea?, depth: Int = 8) {
        let laneCount = staging.map { max(1, $0.laneDescriptors.count) } ?? Self.defaultCount
        lanes = (0..<laneCount).map { _ in StagingLane() }
        // Each lane on a blocking-I/O worker thread of its own (writes and closes block).
        let executors = BlockingExecutor.workers
        queues = (0..<laneCount).map { BoundedPipeline(width: depth, order: .serial, executor: executors[$0 % executors.count]) }
        shared = Shared(lanes: laneCount)
        let mask = umask(0)
        umask(mask)
        worker = LaneWorker(staging: staging, creationMask: mask)
    }

    var count: Int { lanes.count }

    /// The lane with the least content still queued: a large file does not hold up the others.
    func leastBusyLane() -> Int {
        shared.queuedBytes.withLock { queued in
            var best = 0
            for index in queued.indices where queued[index] < queued[best] { best = index }
            return best
        }
    }

    /// Records that `bytes` of content were assigned to `lane` (for `leastBusyLane`).
    func assign(_ bytes: UInt64, to lane: Int) {
        shared.queuedBytes.withLock { $0[lane] += bytes }
    }

    /// The first failure of any lane, if one failed.
    func firstFailure() -> Error? {
        shared.failure.withLock { $0 }
    }

    /// Queues `batch` on `lane`, waiting (suspended, not blocking a thread) while the lane
    /// already holds `depth` batches.
    func submit(_ batch: Batch, to index: Int) async throws {
        guard !batch.work.isEmpty else { return }
        let lane = lanes[index]
        let (shared, worker) = (shared, worker)
        do {
            _ = try await queues[index].submit { _ in
                defer { shared.queuedBytes.withLock { $0[index] -= min($0[index], UInt64(batch.bytes)) } }
                do {
                    try batch.buffer.withUnsafeBytes { buffer in
                        for work in batch.work { try worker.perform(work, buffer, lane) }
                    }
                } catch {
                    worker.closeCurrent(lane)
                    shared.fail(error)
                    throw error
                }
            }
        } catch {
            // The lane's own failure first (a cancellation that followed it says less).
            throw firstFailure() ?? error
        }
    }

    /// Waits for every lane to finish its queue; returns each file's digest by member index.
    /// Throws the first lane failure. Always leaves no descriptor open.
    func finish() async throws -> [Int: [UInt8]] {
        var failure: (any Error)?
        for queue in queues {
            do { try await queue.finish() } catch { failure = failure ?? error }
        }
        for lane in lanes { worker.closeCurrent(lane) }
        if let failure { throw firstFailure() ?? failure }
        var digests: [Int: [UInt8]] = [:]
        for lane in lanes {
            for (member, digest) in lane.digests { digests[member] = digest }
        }
        return digests
    }

    /// Stops the lanes after a failure elsewhere: queued work is dropped, open files closed.
    func cancel() async {
        for queue in queues { await queue.cancel() }
        for lane in lanes { worker.closeCurrent(lane) }
    }
}

/// A lane's state: touched only by the jobs of the lane's serial pipeline, which run one after
/// another, and by `finish`/`cancel` once that pipeline has no job left. Never by two threads at
/// once: that is why it is `@unchecked Sendable`.
private final class StagingLane: @unchecked Sendable {
    var descriptor: Int32 = -1
    var hasher = SHA256()
    var member = -1
    var attributes: StagingLanes.StagedAttributes?
    var digests: [(member: Int, digest: [UInt8])] = []
}

/// The calls a lane makes, on the lane's worker thread.
private struct LaneWorker: Sendable {
    let staging: StagingArea?
    let creationMask: mode_t
    let ownerIsRoot = geteuid() == 0

    typealias Lane = StagingLane
    func perform(_ work: StagingLanes.Work, _ buffer: UnsafeRawBufferPointer, _ lane: Lane) throws {
        do {
            try performCalls(work, buffer, lane)
        } catch let failure as Syscalls.Failure {
            // Which file could not be staged, and why: "write workspace/x.bin (staging): No space left".
            throw failure.error(path: "\(lane.attributes.map { PathBytes.display($0.path) } ?? "?") (staging)")
        }
    }

    private func performCalls(_ work: StagingLanes.Work, _ buffer: UnsafeRawBufferPointer, _ lane: Lane) throws {
        switch work {
        case .begin(let member, let stagingName, let attributes):
            lane.member = member
            lane.hasher = SHA256()
            lane.attributes = attributes
            if let staging, let stagingName {
                // Created with its final permission bits where the umask allows, saving a fchmod.
                lane.descriptor = try staging.createFile(stagingName, mode: mode_t(attributes.mode & 0o777))
            }
        case .content(let start, let count):
            let slice = UnsafeRawBufferPointer(rebasing: buffer[start..<(start + count)])
            lane.hasher.update(bufferPointer: slice)
            if lane.descriptor >= 0 { try Syscalls.writeAll(lane.descriptor, slice) }
        case .end:
            lane.digests.append((lane.member, Array(lane.hasher.finalize())))
            try closeStaged(lane)
        }
    }

    /// Gives the staged file its owner (as root, best effort like tar), mode and mtime, and closes
    /// it. The mode and mtime travel with the rename into the home, so failing to set them, or a
    /// close error (the data may not have reached the file system), is a failure.
    private func closeStaged(_ lane: Lane) throws {
        guard lane.descriptor >= 0, let member = lane.attributes else { return }
        let fd = lane.descriptor
        lane.descriptor = -1
        var closed = false
        defer { if !closed { close(fd) } }
        // As root the owner is the archived one; a file that cannot get it would land in the home
        // owned by root, so that is a failure (GNU tar reports it too).
        if ownerIsRoot, fchown(fd, member.uid, member.gid) != 0 {
            throw Syscalls.Failure(operation: "fchown", errno: sindri_errno())
        }
        let mode = mode_t(member.mode)
        if mode & ~creationMask != mode || mode & 0o7000 != 0 {
            guard fchmod(fd, mode) == 0 else { throw Syscalls.Failure(operation: "fchmod", errno: sindri_errno()) }
        }
        var times = [timespec(tv_sec: Int(member.modificationTime), tv_nsec: 0), timespec(tv_sec: Int(member.modificationTime), tv_nsec: 0)]
        guard futimens(fd, &times) == 0 else { throw Syscalls.Failure(operation: "futimens", errno: sindri_errno()) }
        // Large files start their writeback now so disk writes overlap inflating; for small
        // files one call each costs more (measured: +2.5 s of system time on 48k files)
        // than the single syncfs at commit.
        // A hint only (sync_file_range): the commit's syncfs is what makes the data durable, and
        // its result is checked, so a refused hint changes nothing.
        if member.size >= 4 << 20 { _ = sindri_start_writeback(fd) }
        closed = true  // close(2) releases the descriptor even when it reports an error
        try Syscalls.closeChecked(fd)
    }

    func closeCurrent(_ lane: Lane) {
        if lane.descriptor >= 0 {
            close(lane.descriptor)
            lane.descriptor = -1
        }
    }
}
