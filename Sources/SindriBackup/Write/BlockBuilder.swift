import CSindriSystem
import Crypto
import SindriArchive
#if canImport(Glibc)
import Glibc
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

/// Builds block `index` of the data region: encodes the headers that fall in it and reads the
/// file ranges it covers with `pread`. Pure apart from reading the files, so blocks are built
/// in parallel on all cores.
///
/// Reads happen here, on the worker, rather than on a dedicated I/O thread: each is one
/// bounded `pread` of at most a block from a file the walk just touched (normally in the page
/// cache), and the work that follows (hashing, deflate) is CPU-bound anyway; a separate reader
/// pool would add a hand-off per block and buy nothing on two cores.
struct BlockBuilder: Sendable {
    let layout: TarLayout
    let homeDescriptor: Int32
    let blockSize: Int

    var blockCount: Int { Int((layout.length + UInt64(blockSize) - 1) / UInt64(blockSize)) }

    func build(_ index: Int) -> RawBlock {
        let start = UInt64(index) * UInt64(blockSize)
        let end = min(start + UInt64(blockSize), layout.length)
        var block = RawBlock(index: index, start: start, bytes: [UInt8](repeating: 0, count: Int(end - start)), digests: [], warnings: [])
        var member = layout.memberIndex(containing: start)
        block.bytes.withUnsafeMutableBytes { buffer in
            while member < layout.entries.count, layout.memberOffsets[member] < end {
                let entry = layout.entries[member]
                let headerStart = layout.memberOffsets[member]
                let headerEnd = headerStart + UInt64(layout.headerSizes[member])
                if headerStart < end && headerEnd > start {
                    let header = TarHeaderEncoder.encode(entry)
                    let from = max(headerStart, start)
                    let to = min(headerEnd, end)
                    header.withUnsafeBytes { source in
                        (buffer.baseAddress! + Int(from - start)).copyMemory(
                            from: source.baseAddress! + Int(from - headerStart), byteCount: Int(to - from))
                    }
                }
                let content = layout.contentRange(member)
                if entry.kind == .regular, content.lowerBound < end, content.upperBound > start {
                    let from = max(content.lowerBound, start)
                    let to = min(content.upperBound, end)
                    let target = UnsafeMutableRawBufferPointer(rebasing: buffer[Int(from - start)..<Int(to - start)])
                    let isLastSlice = to == content.upperBound
                    if let warning = readSlice(entry, fileOffset: Int64(from - content.lowerBound), into: target, isLastSlice: isLastSlice) {
                        block.warnings.append((member, warning))
                    }
                    if content.lowerBound >= start && content.upperBound <= end {
                        var hasher = SHA256()
                        hasher.update(bufferPointer: UnsafeRawBufferPointer(target))
                        block.digests.append((member, Array(hasher.finalize())))
                    }
                }
                // Padding bytes are already zero.
                member += 1
            }
        }
        return block
    }

    /// Reads one slice of a file into `target`; a short file is zero-padded. Returns a warning
    /// when the file vanished, shrank, grew or changed while it was read.
    private func readSlice(_ entry: TarEntry, fileOffset: Int64, into target: UnsafeMutableRawBufferPointer, isLastSlice: Bool) -> String? {
        let fd: Int32
        do {
            // O_NONBLOCK: if the file was replaced by a FIFO since the walk, opening it must not wait
            // for a writer forever; `pread` then fails (ESPIPE) and the warning below says so. It
            // changes nothing for a regular file.
            fd = try withCPath(entry.path) { try FileOpener.openBeneath(homeDescriptor, $0, O_RDONLY | O_NOFOLLOW | O_NONBLOCK) }
        } catch let failure as Syscalls.Failure {
            target.initializeMemory(as: UInt8.self, repeating: 0)
            return "could not be opened while archiving (\(String(cString: strerror(failure.errno)))); archived as \(entry.size) zero bytes"
        } catch {
            target.initializeMemory(as: UInt8.self, repeating: 0)
            return "could not be opened while archiving; archived as zero bytes"
        }
        defer { close(fd) }
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
        if isLastSlice, warning == nil, let info = try? Syscalls.fileStatus(fd) {
            if UInt64(info.st_size) > entry.size {
                warning = "grew while being read; truncated to its size at the start of the backup (\(entry.size) bytes)"
            } else if info.modificationSeconds != entry.modificationTime {
                warning = "changed while being read"
            }
        }
        return warning
    }
}
