import Foundation
import SindriArchive
import Testing
@testable import SindriBackup
#if canImport(Glibc)
import Glibc
#endif

/// A file swapped for something else between the walk and the read must neither hang nor
/// corrupt the archive: its member keeps its declared size (zeros) and a warning names it.
@Suite("block builder reading swapped files")
struct BackupBlockReadTests {
    @Test("a file replaced by a FIFO is archived as zeros with a warning, without waiting for a writer",
          .timeLimit(.minutes(1)))
    func fifoDoesNotHang() throws {
        let root = NSTemporaryDirectory() + "sindri-fifo-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(mkfifo(root + "/pipe", 0o644) == 0)
        let fd = open(root, O_RDONLY | O_DIRECTORY)
        defer { close(fd) }

        let entry = TarEntry(path: Array("pipe".utf8), kind: .regular, size: 6)
        let block = BlockBuilder(layout: TarLayout(entries: [entry]), homeDescriptor: fd, blockSize: 1 << 20).build(0)
        #expect(Array(block.bytes[512..<518]) == [0, 0, 0, 0, 0, 0])
        #expect(block.warnings.count == 1)
        #expect(block.warnings.first?.1.contains("zero bytes") == true, "\(block.warnings)")
    }

    @Test("a file replaced by a directory is archived as zeros with a warning")
    func directoryIsNotRead() throws {
        let root = NSTemporaryDirectory() + "sindri-swap-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root + "/was-a-file", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let fd = open(root, O_RDONLY | O_DIRECTORY)
        defer { close(fd) }

        let entry = TarEntry(path: Array("was-a-file".utf8), kind: .regular, size: 3)
        let block = BlockBuilder(layout: TarLayout(entries: [entry]), homeDescriptor: fd, blockSize: 1 << 20).build(0)
        #expect(Array(block.bytes[512..<515]) == [0, 0, 0])
        #expect(block.warnings.count == 1, "\(block.warnings)")
    }
}
