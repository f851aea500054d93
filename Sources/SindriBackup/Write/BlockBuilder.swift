import CSindriSystem
import Crypto
import Foundation
import SindriArchive
#if canImport(Glibc)
import Glibc
import SindriSystem
#endif

/// One block of the tar stream, built by a worker: the raw bytes, the digests of files wholly
/// inside it, and problems met while reading.
struct RawBlock: Sendable {
    var index: Int
    var start: UInt64
    var bytes: [UInt8]
    /// (member index, SHA256) for files whose whole content lies in this block.
    var digests: [(Int, [UInt8])]
    var warnings: [(Int, String)]
}

/// Builds one block of the data region from its plan: encodes the headers that fall in it, reads
/// the file ranges it covers with `pread`, and hashes the files wholly inside it. Pure apart from
/// reading the files, so blocks are built in parallel by the backup's readers (the tasks of its
/// bounded pipeline), each block's reads and hashing on the task that then compresses it.
///
/// A file that spans several blocks cannot be hashed by any one of them (SHA256 runs front to
/// back); its slices are handed, in stream order, to a `SpanHasher`, which hashes them on tasks
/// of their own, beside the readers.
///
/// Reads happen on the reader, not on the writer's I/O thread: the backup runs each block as one
/// job on an I/O worker thread (a `pread` may block, so never on the cooperative pool), and the
/// hashing and deflate that follow stay on that thread; a hand-off to another thread per block
/// would buy nothing on two cores.
///
/// Each file is read through one descriptor, whichever blocks it spans (`SharedDescriptors`),
/// so a file renamed over while it is read cannot be archived as a mix of two files. After
/// every slice the descriptor's `fstat` is compared with the walk's `lstat` (device, inode,
/// size, mtime and ctime, as GNU tar does): a file replaced before it was opened has another
/// inode, one written or replaced while it was read has a new ctime (an unlink changes the
/// link count, hence the ctime), and either gets the warning "file changed as we read it".
struct BlockBuilder: Sendable {
    let homeDescriptor: Int32
    let blockSize: Int
    let descriptors: SharedDescriptors
    /// A complete layout, for building blocks by index (tests, small archives); the pipeline
    /// builds from plans instead.
    let layout: TarLayout

    init(homeDescriptor: Int32, blockSize: Int, descriptors: SharedDescriptors) {
        self.homeDescriptor = homeDescriptor
        self.blockSize = blockSize
        self.descriptors = descriptors
        self.layout = TarLayout(entries: [])
    }

    init(layout: TarLayout, homeDescriptor: Int32, blockSize: Int, stamps: [FileStamp] = [], descriptors: SharedDescriptors = SharedDescriptors()) {
        var complete = TarLayout()
        complete.append(layout.entries, stamps: stamps.isEmpty ? layout.stamps : stamps)
        complete.finish()
        self.layout = complete
        self.homeDescriptor = homeDescriptor
        self.blockSize = blockSize
        self.descriptors = descriptors
    }

    var blockCount: Int { layout.blockCount(blockSize: blockSize) ?? 0 }

    /// Builds block `index` of the layout given at creation.
    func build(_ index: Int) -> RawBlock {
        build(layout.plan(block: index, blockSize: blockSize))
    }

    func build(_ plan: BlockPlan) -> RawBlock {
        let start = plan.start
        let end = plan.end
        var block = RawBlock(index: plan.index, start: start, bytes: [UInt8](repeating: 0, count: Int(end - start)), digests: [], warnings: [])
        block.bytes.withUnsafeMutableBytes { buffer in
            for member in plan.members {
                let entry = member.entry
                let headerStart = member.offset
                let headerEnd = headerStart + UInt64(member.headerSize)
                if headerStart < end && headerEnd > start {
                    let header = TarHeaderEncoder.encode(entry)
                    let from = max(headerStart, start)
                    let to = min(headerEnd, end)
                    header.withUnsafeBytes { source in
                        (buffer.baseAddress! + Int(from - start)).copyMemory(
                            from: source.baseAddress! + Int(from - headerStart), byteCount: Int(to - from))
                    }
                }
                let content = member.contentRange
                if entry.kind == .regular, content.lowerBound < end, content.upperBound > start {
                    let from = max(content.lowerBound, start)
                    let to = min(content.upperBound, end)
                    let target = UnsafeMutableRawBufferPointer(rebasing: buffer[Int(from - start)..<Int(to - start)])
                    if let warning = readSlice(member, fileOffset: Int64(from - content.lowerBound), into: target) {
                        block.warnings.append((member.index, warning))
                    }
                    if content.lowerBound >= start && content.upperBound <= end {
                        var hasher = SHA256()
                        hasher.update(bufferPointer: UnsafeRawBufferPointer(target))
                        block.digests.append((member.index, Array(hasher.finalize())))
                    }
                }
                // Padding bytes are already zero.
            }
        }
        return block
    }

    /// Reads one slice of a file into `target`; a short file is zero-padded. Returns a warning
    /// when the file vanished, shrank, grew or changed while it was read.
    private func readSlice(_ member: PlannedMember, fileOffset: Int64, into target: UnsafeMutableRawBufferPointer) -> String? {
        let entry = member.entry
        let opened = descriptors.acquire(member.index, blocks: member.blocksSpanned) { () -> Result<Int32, Syscalls.Failure> in
            do {
                // O_NONBLOCK: if the file was replaced by a FIFO since the walk, opening it must not wait
                // for a writer forever; `pread` then fails (ESPIPE) and the warning below says so. It
                // changes nothing for a regular file.
                return .success(try withCPath(entry.path) { try FileOpener.openBeneath(homeDescriptor, $0, O_RDONLY | O_NOFOLLOW | O_NONBLOCK) })
            } catch let failure as Syscalls.Failure {
                return .failure(failure)
            } catch {
                return .failure(Syscalls.Failure(operation: "openat", errno: EIO))
            }
        }
        defer { descriptors.release(member.index) }
        let fd: Int32
        switch opened {
        case .failure(let failure):
            target.initializeMemory(as: UInt8.self, repeating: 0)
            return "could not be opened while archiving (\(String(cString: strerror(failure.errno)))); archived as \(entry.size) zero bytes"
        case .success(let descriptor):
            fd = descriptor
        }
        var warning: String?
        do {
            let count = try Syscalls.readFully(fd, into: target, at: fileOffset)
            if count < target.count {
                UnsafeMutableRawBufferPointer(rebasing: target[count...]).initializeMemory(as: UInt8.self, repeating: 0)
                warning = "shrank while being read; padded with zeros to its size at the start of the backup (\(entry.size) bytes)"
            }
        } catch let failure as Syscalls.Failure {
            target.initializeMemory(as: UInt8.self, repeating: 0)
            return "read failed (\(String(cString: strerror(failure.errno)))); archived as zero bytes"
        } catch {
            return "read failed: \(error)"
        }
        guard warning == nil, let info = try? Syscalls.fileStatus(fd) else { return warning }
        if UInt64(info.st_size) > entry.size {
            return "grew while being read; truncated to its size at the start of the backup (\(entry.size) bytes)"
        }
        if let stamp = member.stamp {
            if FileStamp(info) != stamp {
                return "file changed as we read it; the archived copy may not be consistent"
            }
        } else if Int64(info.st_mtim.tv_sec) != entry.modificationTime {
            return "file changed as we read it"
        }
        return nil
    }
}

/// The descriptors of files being read, shared by the blocks each file spans.
///
/// A file is opened by the first block that needs it and closed by the last one to finish
/// with it (a count of the blocks it spans, taken from the layout), so every byte of it comes
/// through one descriptor, i.e. from one inode. A file inside one block leaves the table when
/// its block is done with it.
/// Blocks are launched in order with at most `3 x workers` in flight, and a block holds at most
/// two files that span several blocks (its first and its last), so at most `2 x` the blocks in
/// flight descriptors are open at once, whatever the number of files: far below any open-file
/// limit a backup can run under (a failure to open is reported per file, not fatal).
final class SharedDescriptors: @unchecked Sendable {
    private struct Slot {
        var result: Result<Int32, Syscalls.Failure>
        var remaining: Int
    }
    private let lock = NSLock()
    private var slots: [Int: Slot] = [:]

    init() {}

    /// The descriptor of `member` (opening it with `open` if no block did yet).
    func acquire(_ member: Int, blocks: Int, open: () -> Result<Int32, Syscalls.Failure>) -> Result<Int32, Syscalls.Failure> {
        lock.lock()
        defer { lock.unlock() }
        if let slot = slots[member] { return slot.result }
        let result = open()
        slots[member] = Slot(result: result, remaining: max(1, blocks))
        return result
    }

    /// One block is done with `member`; the last one closes the descriptor.
    func release(_ member: Int) {
        lock.lock()
        guard var slot = slots[member] else {
            lock.unlock()
            return
        }
        slot.remaining -= 1
        if slot.remaining > 0 {
            slots[member] = slot
            lock.unlock()
            return
        }
        slots[member] = nil
        lock.unlock()
        // Read-only descriptor: close cannot lose data, so its result carries no information.
        if case .success(let fd) = slot.result { close(fd) }
    }

    /// Closes whatever a cancelled or failed backup left open.
    func closeAll() {
        lock.lock()
        let open = slots.values
        slots.removeAll()
        lock.unlock()
        for slot in open { if case .success(let fd) = slot.result { close(fd) } }
    }

    /// How many files are open now (for tests of the bound).
    var openCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return slots.count
    }
}
