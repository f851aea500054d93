import Foundation
import SindriArchive
import Testing
@testable import SindriBackup
import SindriSystem
#if canImport(Glibc)
import Glibc
#endif

/// The walker as an actor: batches in order, of the promised size, adding up to the whole walk
/// whatever their size, and a stop request seen between batches.
@Suite("directory walker")
struct DirectoryWalkerTests {
    /// A home with nested directories, files of several sizes, a symlink and a skipped socket-free
    /// mix: enough members for dozens of small batches.
    private func withHome(_ body: (Int32) async throws -> Void) async throws {
        let root = NSTemporaryDirectory() + "sindri-walker-\(UUID().uuidString.prefix(8))"
        let manager = FileManager.default
        defer { try? manager.removeItem(atPath: root) }
        for directory in ["a/b/c", "a/d", "e", "workspace/projects/app/src"] {
            try manager.createDirectory(atPath: root + "/" + directory, withIntermediateDirectories: true)
        }
        for index in 0..<40 {
            let folder = ["a", "a/b", "a/b/c", "a/d", "e", "workspace/projects/app/src"][index % 6]
            try Data(repeating: UInt8(index), count: index * 1000).write(to: URL(fileURLWithPath: "\(root)/\(folder)/f\(index).txt"))
        }
        try Data(repeating: 7, count: 300_000).write(to: URL(fileURLWithPath: root + "/e/big.bin"))
        try manager.createSymbolicLink(atPath: root + "/a/link", withDestinationPath: "b/c")
        let fd = open(root, O_RDONLY | O_DIRECTORY)
        #expect(fd >= 0)
        defer { close(fd) }
        try await body(fd)
    }

    private func walker(_ fd: Int32, items: Int = DirectoryWalker.batchItems, bytes: UInt64 = DirectoryWalker.batchBytes, record: Bool = true) -> DirectoryWalker {
        var options = WalkOptions()
        options.recordDecisions = record
        return DirectoryWalker(
            homeDescriptor: fd, selection: BackupSelection(profile: .full, userRules: IgnoreRules()), options: options,
            excludedFiles: [], batchItems: items, batchBytes: bytes)
    }

    @Test("batches of any size add up to the same walk, in the same order", arguments: [(1, UInt64(1) << 40), (3, UInt64(1) << 40), (7, 10_000), (256, 128 << 10)])
    func batchesAddUp(items: Int, bytes: UInt64) async throws {
        try await withHome { fd in
            let whole = try await walker(fd, items: 1 << 30, bytes: UInt64.max).walk()
            #expect(whole.entries.count > 45)
            let batched = walker(fd, items: items, bytes: bytes)
            var joined = WalkResult()
            var batches = 0
            while let batch = try await batched.nextBatch() {
                batches += 1
                #expect(batch.itemCount > 0, "an empty batch is a wasted hop")
                joined.append(batch)
            }
            let after = try await batched.nextBatch()
            #expect(after == nil, "a finished walk stays finished")
            #expect(joined.entries == whole.entries)
            #expect(joined.stamps == whole.stamps)
            #expect(joined.decisions == whole.decisions)
            #expect(joined.regularFileCount == whole.regularFileCount && joined.regularFileBytes == whole.regularFileBytes)
            if items == 1 { #expect(batches >= whole.entries.count) }
        }
    }

    @Test("a batch closes at the item limit or at the byte limit, whichever comes first")
    func batchLimits() async throws {
        try await withHome { fd in
            let walker = walker(fd, items: 5, bytes: 20_000, record: false)
            var batches: [WalkBatch] = []
            while let batch = try await walker.nextBatch() { batches.append(batch) }
            #expect(batches.count > 3)
            for batch in batches.dropLast() {
                #expect(batch.itemCount >= 5 || batch.regularFileBytes >= 20_000)
                // One item past either limit at most: the batch closes right after crossing it.
                let withoutLast = batch.regularFileBytes - (batch.entries.last?.size ?? 0)
                #expect(batch.itemCount <= 5 && withoutLast < 20_000)
            }
        }
    }

    @Test("the walk is in archive order: pre-order, siblings by name bytes")
    func order() async throws {
        try await withHome { fd in
            let paths = try await walker(fd, items: 2, bytes: 1).walk().entries.map { String(decoding: $0.path, as: UTF8.self) }
            #expect(paths.first == "a")
            #expect(paths.firstIndex(of: "a/b") ?? 0 < paths.firstIndex(of: "a/b/c") ?? 0)
            #expect(paths.firstIndex(of: "a/b/c/f2.txt") ?? 99 < paths.firstIndex(of: "a/d") ?? 0)
            #expect(paths.contains("a/link"))
        }
    }

    @Test("a cancelled task gets no further batch")
    func cancellation() async throws {
        try await withHome { fd in
            let walker = walker(fd, items: 2, bytes: 1)
            let first = try await walker.nextBatch()
            #expect(first != nil)
            let task = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await walker.nextBatch()
            }
            await #expect(throws: CancellationError.self) { try await task.value }
        }
    }

    @Test("the walker runs on a blocking-I/O thread of the engine (its own), not on the cooperative pool")
    func executor() async throws {
        try await withHome { fd in
            let walker = walker(fd)
            let onEngineThread = await walker.runsOnEngineThread()
            #expect(onEngineThread)
        }
    }
}

extension DirectoryWalker {
    /// Whether this actor's code runs on a thread marked for blocking work.
    fileprivate func runsOnEngineThread() -> Bool { BlockingWaits.allowedOnCurrentThread }
}
