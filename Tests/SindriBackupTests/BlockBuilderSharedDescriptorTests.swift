import Foundation
import SindriArchive
import Testing
@testable import SindriBackup
#if canImport(Glibc)
import Glibc
#endif

/// A file that spans several blocks is read through one descriptor, opened by the first block
/// that needs it and closed by the last: a rename over it between two blocks can neither mix two
/// files in the archive nor go unnoticed.
@Suite("block builder: one descriptor per file")
struct BlockBuilderSharedDescriptorTests {
    private func withHome(_ body: (Int32, String) throws -> Void) throws {
        let root = NSTemporaryDirectory() + "sindri-shared-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let fd = open(root, O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        try body(fd, root)
    }

    private func stamp(_ path: String) -> FileStamp {
        var info = stat()
        lstat(path, &info)
        return FileStamp(info)
    }

    @Test("a file renamed over between its blocks: the blocks read the first file, and the last one warns")
    func renamedBetweenBlocks() throws {
        try withHome { fd, root in
            let blockSize = 4096
            let first = [UInt8](repeating: 0x41, count: 3 * blockSize)
            let second = [UInt8](repeating: 0x42, count: 3 * blockSize)
            try Data(first).write(to: URL(fileURLWithPath: root + "/f"))
            let entry = TarEntry(path: Array("f".utf8), kind: .regular, size: UInt64(first.count), modificationTime: 1_700_000_000)
            let layout = TarLayout(entries: [entry])
            let descriptors = SharedDescriptors()
            let builder = BlockBuilder(layout: layout, homeDescriptor: fd, blockSize: blockSize,
                                       stamps: [stamp(root + "/f")], descriptors: descriptors)
            var blocks = [builder.build(0)]
            #expect(blocks[0].warnings.isEmpty)
            #expect(descriptors.openCount == 1, "the file stays open for its next blocks")
            // Same size, same mtime, another inode.
            try Data(second).write(to: URL(fileURLWithPath: root + "/g"))
            var info = stat()
            lstat(root + "/f", &info)
            var times = [info.st_atim, info.st_mtim]
            utimensat(AT_FDCWD, root + "/g", &times, 0)
            #expect(rename(root + "/g", root + "/f") == 0)
            for index in 1..<builder.blockCount { blocks.append(builder.build(index)) }
            #expect(descriptors.openCount == 0, "closed after its last block")
            let content = blocks.flatMap(\.bytes)[512..<(512 + first.count)]
            #expect(Array(content) == first, "every byte comes from the file that was opened")
            let warnings = blocks.flatMap(\.warnings).map(\.1)
            #expect(warnings.contains { $0.contains("changed as we read it") }, "\(warnings)")
        }
    }

    @Test("blocks built out of order share the descriptor and close it once")
    func outOfOrder() throws {
        try withHome { fd, root in
            let blockSize = 1024
            let bytes = (0..<(5 * blockSize)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
            try Data(bytes).write(to: URL(fileURLWithPath: root + "/f"))
            let entry = TarEntry(path: Array("f".utf8), kind: .regular, size: UInt64(bytes.count), modificationTime: 1_700_000_000)
            let layout = TarLayout(entries: [entry])
            let descriptors = SharedDescriptors()
            let builder = BlockBuilder(layout: layout, homeDescriptor: fd, blockSize: blockSize,
                                       stamps: [stamp(root + "/f")], descriptors: descriptors)
            let order = Array((0..<builder.blockCount).reversed())
            var built: [Int: RawBlock] = [:]
            for index in order { built[index] = builder.build(index) }
            #expect(descriptors.openCount == 0)
            let stream = (0..<builder.blockCount).flatMap { built[$0]!.bytes }
            #expect(Array(stream[512..<(512 + bytes.count)]) == bytes)
            #expect(built.values.allSatisfy { $0.warnings.isEmpty })
        }
    }
}
