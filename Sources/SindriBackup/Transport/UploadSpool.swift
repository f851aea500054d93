import CSindriSystem
import Foundation
import SindriSystem
#if canImport(Glibc)
import Glibc
#endif

/// An unlinked temporary file holding the parts of an upload that are too large to keep in
/// memory (see `S3PartPlan`): one slot of `slotSize` bytes per part being filled or sent.
///
/// Unlinked from the start (`O_TMPFILE`, else `mkstemp` then `unlink`), so nothing is left on
/// disk whatever happens to the process; the space is returned when the last descriptor closes.
///
/// `@unchecked Sendable`: the descriptor is immutable; the writer (the engine's I/O thread) and
/// the readers (the uploads) touch disjoint slots, since a slot is only refilled once its upload
/// has finished (the sink collects uploads oldest first and uses slots in turn).
final class UploadSpool: @unchecked Sendable {
    let descriptor: Int32
    let slotSize: Int
    let slots: Int

    /// Creates the spool in `directory` (`$TMPDIR`, else /tmp).
    ///
    /// - Throws: `SindriError` naming the directory when no temporary file can be made there.
    init(slotSize: Int, slots: Int, directory: String = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp") throws {
        self.slotSize = slotSize
        self.slots = slots
        // O_TMPFILE (x86-64 and arm64 value, O_DIRECTORY included): not exported to Swift.
        let temporaryFile: Int32 = 0o20200000
        if let fd = try? Syscalls.openAt(AT_FDCWD, directory, temporaryFile | O_RDWR | O_CLOEXEC, mode: 0o600) {
            descriptor = fd
            return
        }
        // A filesystem without O_TMPFILE: a named file, unlinked at once.
        var template = Array((directory.hasSuffix("/") ? directory : directory + "/").utf8CString.dropLast()) + Array("sindri-upload-XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        guard fd >= 0 else {
            throw SindriError(.io, "cannot create a temporary file in \(directory) to spool the upload's parts (\(String(cString: strerror(sindri_errno())))); set TMPDIR to a directory with room", path: directory)
        }
        unlink(template)
        descriptor = fd
    }

    deinit { close(descriptor) }

    /// Writes `bytes` at `offset` of slot `slot` (blocking; the engine's I/O thread).
    func write(_ bytes: ArraySlice<UInt8>, slot: Int, at offset: Int) throws {
        do {
            try bytes.withUnsafeBytes { try Syscalls.writeAll(descriptor, $0, at: Int64(slot * slotSize + offset)) }
        } catch let failure as Syscalls.Failure {
            throw SindriError(.io, "cannot spool the upload's parts to a temporary file: \(failure.operation) failed (\(String(cString: strerror(failure.errno))))")
        }
    }

    /// Reads `count` bytes at `offset` of slot `slot`, on one of the blocking worker threads.
    func read(slot: Int, at offset: Int, count: Int) async throws -> [UInt8] {
        let fd = descriptor, position = Int64(slot * slotSize + offset)
        let worker = BlockingExecutor.workers[slot % BlockingExecutor.workers.count]
        return try await worker.run {
            var bytes = [UInt8](repeating: 0, count: count)
            let got = try bytes.withUnsafeMutableBytes { try Syscalls.readFully(fd, into: $0, at: position) }
            guard got == count else {
                throw SindriError(.io, "the upload's spool file gave \(got) bytes instead of \(count)")
            }
            return bytes
        }
    }
}
