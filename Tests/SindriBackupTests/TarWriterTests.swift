import Foundation
import SindriArchive
import Testing
@testable import SindriBackup
import SindriSystem
#if canImport(Glibc)
import Glibc
#endif

/// The tar writer as an actor: it hands out only blocks its growing layout covers, never more than
/// its window ahead, writes blocks in stream order whatever order they come back in, keeps data
/// back until the manifest is out, and hashes files that span blocks correctly.
@Suite("tar writer")
struct TarWriterTests {
    /// Files of awkward sizes (some much larger than a block), written under a temporary home.
    private struct Home {
        var root: String
        var fd: Int32
        var entries: [TarEntry]
        var contents: [[UInt8]]
    }

    private func withHome(_ body: (Home) async throws -> Void) async throws {
        let root = NSTemporaryDirectory() + "sindri-writer-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root + "/home", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        var entries: [TarEntry] = []
        var contents: [[UInt8]] = []
        for index in 0..<12 {
            let count = [0, 3, 700, 5000, 1, 12_345, 511, 512, 513, 9000, 40, 2048][index]
            let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ index) }
            try Data(bytes).write(to: URL(fileURLWithPath: "\(root)/home/file\(index)"))
            var info = stat()
            lstat("\(root)/home/file\(index)", &info)
            entries.append(TarEntry(path: Array("file\(index)".utf8), kind: .regular, size: UInt64(count),
                                    modificationTime: Int64(info.st_mtim.tv_sec)))
            contents.append(bytes)
        }
        let fd = open(root + "/home", O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        try await body(Home(root: root, fd: fd, entries: entries, contents: contents))
    }

    private func batch(_ entries: ArraySlice<TarEntry>) -> WalkBatch {
        var batch = WalkBatch()
        batch.entries = Array(entries)
        batch.regularFileCount = entries.count
        batch.regularFileBytes = entries.reduce(0) { $0 + $1.size }
        return batch
    }

    /// Runs the writer as the backup's driver does, with blocks built in full (the "member" is the
    /// raw block itself, so the output is the tar stream) and handed back in the worst order the
    /// window allows (newest first). Returns the output file's bytes and the checksum member.
    private func run(
        _ home: Home, blockSize: Int, window: Int, batchSize: Int, manifestFirst: Bool
    ) async throws -> (bytes: [UInt8], checksums: [UInt8], maxInFlight: Int) {
        let path = home.root + "/out.tar"
        let output = try LocalArchiveSink(finalPath: path)
        let writer = TarWriter(output: output, blockSize: blockSize, window: window)
        let builder = BlockBuilder(homeDescriptor: home.fd, blockSize: blockSize, descriptors: SharedDescriptors())
        let manifest = [UInt8](repeating: 0x4D, count: 100)
        var inFlight: [BlockPlan] = []
        var maxInFlight = 0
        func take(_ plans: [BlockPlan]) {
            inFlight += plans
            maxInFlight = max(maxInFlight, inFlight.count)
        }
        if manifestFirst { take(try await writer.open(manifest: manifest)) }
        var offset = 0
        while offset < home.entries.count {
            let end = min(offset + batchSize, home.entries.count)
            take(try await writer.extend(batch(home.entries[offset..<end])))
            offset = end
            // Give one block back per batch, newest first, so the writer must reorder.
            if let plan = inFlight.popLast() {
                let raw = builder.build(plan)
                take(try await writer.accept(CompressedBlock(raw: raw, member: raw.bytes)))
            }
        }
        take(await writer.finishLayout())
        if !manifestFirst {
            #expect(await writer.nextToWrite == 0, "no data before the manifest")
            take(try await writer.open(manifest: manifest))
        }
        while let plan = inFlight.popLast() {
            let raw = builder.build(plan)
            take(try await writer.accept(CompressedBlock(raw: raw, member: raw.bytes)))
        }
        #expect(await writer.isDrained)
        let data = await writer.finishData()
        #expect(data.warnings.isEmpty)
        _ = try await writer.commit(manifest: manifest)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        return (bytes, data.checksums, maxInFlight)
    }

    private func expectedStream(_ home: Home) -> [UInt8] {
        var stream: [UInt8] = [UInt8](repeating: 0x4D, count: 100)
        for (entry, bytes) in zip(home.entries, home.contents) {
            stream += TarHeaderEncoder.encode(entry) + bytes
            stream += [UInt8](repeating: 0, count: Int(TarLayout.paddedSize(entry.size)) - bytes.count)
        }
        return stream
    }

    @Test("the same bytes whatever the batches, block size and order of completion",
          arguments: [(512, 1), (512, 5), (1000, 2), (4096, 12), (1 << 20, 3)])
    func sameBytes(blockSize: Int, batchSize: Int) async throws {
        try await withHome { home in
            let result = try await run(home, blockSize: blockSize, window: 4, batchSize: batchSize, manifestFirst: true)
            #expect(result.bytes == expectedStream(home))
            let expected = ChecksumList(lines: zip(home.entries, home.contents).map { entry, bytes in
                ChecksumList.Line(path: entry.path, digest: SHA256Helper.digest(bytes))
            }).encoded()
            #expect(result.checksums == expected, "files spanning blocks hashed in order")
            #expect(result.maxInFlight <= 4, "never more blocks handed out than the window")
        }
    }

    @Test("on a stream the data waits for the manifest, which waits for the walk")
    func manifestAfterWalk() async throws {
        try await withHome { home in
            let result = try await run(home, blockSize: 512, window: 3, batchSize: 2, manifestFirst: false)
            #expect(result.bytes == expectedStream(home))
            #expect(result.maxInFlight <= 3)
        }
    }

    @Test("a growing layout plans every block exactly as the complete layout does")
    func growingLayout() {
        let entries = (0..<30).map { TarEntry(path: Array("f\($0)".utf8), kind: .regular, size: UInt64($0 * 377)) }
        let complete = TarLayout(entries: entries)
        for blockSize in [512, 1536, 4096] {
            var growing = TarLayout()
            var planned: [BlockPlan] = []
            for chunk in stride(from: 0, to: entries.count, by: 4) {
                growing.append(Array(entries[chunk..<min(chunk + 4, entries.count)]))
                while growing.covers(block: planned.count, blockSize: blockSize) {
                    planned.append(growing.plan(block: planned.count, blockSize: blockSize))
                }
            }
            #expect(growing.blockCount(blockSize: blockSize) == nil, "open until the walk ends")
            growing.finish()
            while growing.covers(block: planned.count, blockSize: blockSize) {
                planned.append(growing.plan(block: planned.count, blockSize: blockSize))
            }
            #expect(planned.count == complete.blockCount(blockSize: blockSize))
            for (index, plan) in planned.enumerated() {
                let reference = complete.plan(block: index, blockSize: blockSize)
                #expect(plan.start == reference.start && plan.end == reference.end)
                #expect(plan.members.map(\.index) == reference.members.map(\.index))
                #expect(plan.members.map(\.offset) == reference.members.map(\.offset))
                #expect(plan.members.map(\.blocksSpanned) == reference.members.map(\.blocksSpanned))
            }
        }
    }

    @Test("an aborted writer leaves nothing at the output")
    func abort() async throws {
        try await withHome { home in
            let path = home.root + "/aborted.tar"
            let writer = TarWriter(output: try LocalArchiveSink(finalPath: path), blockSize: 512, window: 2)
            _ = try await writer.open(manifest: [1, 2, 3])
            await writer.abort()
            let left = try FileManager.default.contentsOfDirectory(atPath: home.root).filter { $0 != "home" }
            #expect(left.isEmpty, "left behind: \(left)")
        }
    }
}
