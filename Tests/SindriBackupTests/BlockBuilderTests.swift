import Foundation
import SindriArchive
import Testing
@testable import SindriBackup
#if canImport(Glibc)
import Glibc
#endif

/// Files that change while they are read must not corrupt the archive: the member keeps the
/// size the walk declared, and a warning names the file.
@Suite("block builder")
struct BlockBuilderTests {
    private func withHome(_ body: (Int32, String) throws -> Void) throws {
        let root = NSTemporaryDirectory() + "sindri-block-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let fd = open(root, O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        try body(fd, root)
    }

    private func layout(_ entries: [TarEntry]) -> TarLayout { TarLayout(entries: entries) }

    @Test("a file that shrank is zero-padded to its declared size, with a warning")
    func shrunkFile() throws {
        try withHome { fd, root in
            try Data("abc".utf8).write(to: URL(fileURLWithPath: root + "/f"))
            let entry = TarEntry(path: Array("f".utf8), kind: .regular, size: 10)
            let builder = BlockBuilder(layout: layout([entry]), homeDescriptor: fd, blockSize: 1 << 20)
            let block = builder.build(0)
            #expect(block.bytes.count == 1024)
            #expect(Array(block.bytes[512..<522]) == Array("abc".utf8) + [UInt8](repeating: 0, count: 7))
            #expect(block.warnings.count == 1)
            #expect(block.warnings.first?.1.contains("shrank") == true)
        }
    }

    @Test("a file that grew is truncated to its declared size, with a warning")
    func grownFile() throws {
        try withHome { fd, root in
            try Data("abcdefghij".utf8).write(to: URL(fileURLWithPath: root + "/f"))
            let entry = TarEntry(path: Array("f".utf8), kind: .regular, size: 4)
            let block = BlockBuilder(layout: layout([entry]), homeDescriptor: fd, blockSize: 1 << 20).build(0)
            #expect(Array(block.bytes[512..<516]) == Array("abcd".utf8))
            #expect(block.bytes[516] == 0)
            #expect(block.warnings.first?.1.contains("grew") == true)
        }
    }

    @Test("a file that vanished is archived as zeros of its declared size, with a warning")
    func vanishedFile() throws {
        try withHome { fd, _ in
            let entry = TarEntry(path: Array("gone".utf8), kind: .regular, size: 5)
            let block = BlockBuilder(layout: layout([entry]), homeDescriptor: fd, blockSize: 1 << 20).build(0)
            #expect(Array(block.bytes[512..<517]) == [0, 0, 0, 0, 0])
            #expect(block.warnings.first?.1.contains("could not be opened") == true)
        }
    }

    @Test("blocks cut anywhere reassemble into the same stream, and spanning files hash correctly", arguments: [512, 1000, 4096, 1 << 20])
    func blockEdges(blockSize: Int) async throws {
        let root = NSTemporaryDirectory() + "sindri-block-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let fd = open(root, O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        do {
            var entries: [TarEntry] = []
            var contents: [[UInt8]] = []
            for index in 0..<7 {
                let bytes = (0..<(index * 700 + 3)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }
                try Data(bytes).write(to: URL(fileURLWithPath: root + "/file\(index)"))
                var info = stat()
                lstat(root + "/file\(index)", &info)
                entries.append(TarEntry(path: Array("file\(index)".utf8), kind: .regular, size: UInt64(bytes.count),
                                        modificationTime: Int64(info.st_mtim.tv_sec)))
                contents.append(bytes)
            }
            let layout = TarLayout(entries: entries)
            let builder = BlockBuilder(layout: layout, homeDescriptor: fd, blockSize: blockSize)
            var stream: [UInt8] = []
            var tracker = ArchiveTracker()
            var spans = SpanHasher()
            for index in 0..<builder.blockCount {
                let block = builder.build(index)
                #expect(block.warnings.isEmpty)
                for slice in tracker.absorb(block, layout: layout) { spans.absorb(slice, of: block.bytes) }
                stream += block.bytes
            }
            while let oldest = spans.takeOldest() { spans.collect(await oldest.value) }
            tracker.record(spans.digests)
            #expect(UInt64(stream.count) == layout.length)
            var reader = TarReader()
            var seen: [[UInt8]] = []
            var current: [UInt8] = []
            try reader.consume(stream + TarHeaderEncoder.endOfArchive()) { event in
                switch event {
                case .entry: current = []
                case .content(let slice): current += Array(slice)
                case .endOfEntry: seen.append(current)
                case .endOfArchive: break
                }
            }
            try reader.finish()
            #expect(seen == contents)
            let expected = ChecksumList(lines: zip(entries, contents).map { entry, bytes in
                ChecksumList.Line(path: entry.path, digest: Array(SHA256Helper.digest(bytes)))
            }).encoded()
            #expect(tracker.checksumMember(layout: layout) == expected)
        }
    }
}
