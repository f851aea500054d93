import CSindriSystem
import Crypto
import Dispatch
import Foundation
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
/// one lane (its hasher is sequential); a lane takes batches in order, so a file spanning several
/// gzip members is continued where it stopped. The scanner hands over one batch per lane per
/// inflated member (habit 1: cross threads per batch, not per file), and each lane holds at most
/// `depth` batches, so memory stays bounded (habit 2). Batches point into the inflated member
/// buffers, which are immutable arrays: a lane keeps them alive by holding a reference.
final class StagingLanes: @unchecked Sendable {
    /// What a lane must do, in order.
    enum Work {
        /// A regular file starts: create its staged copy (when staging) and reset the hasher.
        case begin(member: Int, stagingName: String?, attributes: StagedAttributes)
        /// The next `count` content bytes of the current file, at `start` in the batch's buffer.
        case content(start: Int, count: Int)
        /// The current file is complete.
        case end
    }

    /// What a staged file gets before it is closed.
    struct StagedAttributes {
        /// The member's path in the archive, for error messages.
        var path: [UInt8]
        var mode: UInt32
        var uid: UInt32
        var gid: UInt32
        var size: UInt64
        var modificationTime: Int64
    }

    /// Work for one lane, over one immutable buffer.
    struct Batch {
        var buffer: [UInt8]
        var work: [Work] = []
        var bytes = 0
    }

    private final class Lane: @unchecked Sendable {
        let queue: DispatchQueue
        let slots: DispatchSemaphore
        // Owned by the lane's queue.
        var descriptor: Int32 = -1
        var hasher = SHA256()
        var member = -1
        var attributes: StagedAttributes?
        var digests: [(member: Int, digest: [UInt8])] = []
        // Shared with the scanner's thread, under `lock`.
        let lock = NSLock()
        var queuedBytes: UInt64 = 0
        var failure: Error?

        init(index: Int, depth: Int) {
            queue = DispatchQueue(label: "sindri.staging-lane-\(index)", qos: .userInitiated)
            slots = DispatchSemaphore(value: depth)
        }
    }

    private let lanes: [Lane]
    private let staging: StagingArea?
    private let ownerIsRoot = geteuid() == 0
    private let creationMask: mode_t

    /// One lane per core, at least two and at most eight: each lane may hold `depth` batches of
    /// inflated members, so on a many-core machine the lane count must not choose how much
    /// memory a restore holds.
    static let defaultCount = min(8, max(2, ProcessInfo.processInfo.activeProcessorCount))

    /// `staging` nil: hash only (verify). With a staging area, one lane per lane directory.
    init(staging: StagingArea?, depth: Int = 8) {
        self.staging = staging
        let laneCount = staging.map { max(1, $0.laneDescriptors.count) } ?? Self.defaultCount
        lanes = (0..<laneCount).map { Lane(index: $0, depth: depth) }
        let mask = umask(0)
        umask(mask)
        creationMask = mask
    }

    var count: Int { lanes.count }

    /// The lane with the least content still queued: a large file does not hold up the others.
    func leastBusyLane() -> Int {
        var best = 0
        var bestBytes = UInt64.max
        for (index, lane) in lanes.enumerated() {
            lane.lock.lock()
            let queued = lane.queuedBytes
            lane.lock.unlock()
            if queued < bestBytes { best = index; bestBytes = queued }
        }
        return best
    }

    /// Records that `bytes` of content were assigned to `lane` (for `leastBusyLane`).
    func assign(_ bytes: UInt64, to lane: Int) {
        lanes[lane].lock.lock()
        lanes[lane].queuedBytes += bytes
        lanes[lane].lock.unlock()
    }

    /// The first failure of any lane, if one failed.
    func firstFailure() -> Error? {
        for lane in lanes {
            lane.lock.lock()
            let failure = lane.failure
            lane.lock.unlock()
            if let failure { return failure }
        }
        return nil
    }

    /// Queues `batch` on `lane`, waiting while the lane already holds `depth` batches.
    /// Blocking: runs on the engine's thread (`BlockingExecutor`), never the cooperative pool.
    func submit(_ batch: Batch, to index: Int) {
        guard !batch.work.isEmpty else { return }
        let lane = lanes[index]
        BlockingWaits.assertAllowed("StagingLanes.submit waiting for a free slot")
        lane.slots.wait()
        lane.queue.async { [self] in
            defer { lane.slots.signal() }
            lane.lock.lock()
            // A stop request (SIGINT/SIGTERM) drops the queued work at the next batch, so the
            // scanner stops within one batch and the restore's cleanup can start.
            if lane.failure == nil, Interruption.isRequested { lane.failure = CancellationError() }
            let failed = lane.failure != nil
            lane.lock.unlock()
            if failed {
                closeCurrent(lane)
                return
            }
            do {
                try batch.buffer.withUnsafeBytes { buffer in
                    for work in batch.work { try perform(work, buffer, lane) }
                }
            } catch {
                closeCurrent(lane)
                lane.lock.lock()
                lane.failure = error
                lane.lock.unlock()
            }
            lane.lock.lock()
            lane.queuedBytes -= min(lane.queuedBytes, UInt64(batch.bytes))
            lane.lock.unlock()
        }
    }

    /// Waits for every lane to finish its queue; returns each file's digest by member index.
    /// Throws the first lane failure. Always leaves no descriptor open.
    func finish() throws -> [Int: [UInt8]] {
        BlockingWaits.assertAllowed("StagingLanes.finish waiting for the lanes")
        for lane in lanes { lane.queue.sync { closeCurrent(lane) } }
        if let failure = firstFailure() { throw failure }
        var digests: [Int: [UInt8]] = [:]
        for lane in lanes {
            for (member, digest) in lane.digests { digests[member] = digest }
        }
        return digests
    }

    /// Stops the lanes after a failure elsewhere: queued work is dropped, open files closed.
    func cancel() {
        for lane in lanes {
            lane.lock.lock()
            if lane.failure == nil { lane.failure = CancellationError() }
            lane.lock.unlock()
        }
        BlockingWaits.assertAllowed("StagingLanes.cancel waiting for the lanes")
        for lane in lanes { lane.queue.sync { closeCurrent(lane) } }
    }

    // MARK: - On a lane's thread

    private func perform(_ work: Work, _ buffer: UnsafeRawBufferPointer, _ lane: Lane) throws {
        do {
            try performCalls(work, buffer, lane)
        } catch let failure as Syscalls.Failure {
            // Which file could not be staged, and why: "write workspace/x.bin (staging): No space left".
            throw failure.error(path: "\(lane.attributes.map { PathBytes.display($0.path) } ?? "?") (staging)")
        }
    }

    private func performCalls(_ work: Work, _ buffer: UnsafeRawBufferPointer, _ lane: Lane) throws {
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
        if ownerIsRoot { _ = fchown(fd, member.uid, member.gid) }
        let mode = mode_t(member.mode)
        if mode & ~creationMask != mode || mode & 0o7000 != 0 {
            guard fchmod(fd, mode) == 0 else { throw Syscalls.Failure(operation: "fchmod", errno: sindri_errno()) }
        }
        var times = [timespec(tv_sec: Int(member.modificationTime), tv_nsec: 0), timespec(tv_sec: Int(member.modificationTime), tv_nsec: 0)]
        guard futimens(fd, &times) == 0 else { throw Syscalls.Failure(operation: "futimens", errno: sindri_errno()) }
        // Large files start their writeback now so disk writes overlap inflating; for small
        // files one call each costs more (measured: +2.5 s of system time on 48k files)
        // than the single syncfs at commit.
        if member.size >= 4 << 20 { _ = sindri_start_writeback(fd) }
        closed = true  // close(2) releases the descriptor even when it reports an error
        try Syscalls.closeChecked(fd)
    }

    private func closeCurrent(_ lane: Lane) {
        if lane.descriptor >= 0 {
            close(lane.descriptor)
            lane.descriptor = -1
        }
    }
}
