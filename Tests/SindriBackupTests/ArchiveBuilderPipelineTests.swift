import Foundation
import SindriArchive
import Testing
@testable import SindriBackup
import SindriSystem

/// The whole backup pipeline in process (walker, readers, writer): the bytes do not depend on
/// how many readers ran or in which order blocks finished, GNU tar reads the result, and a
/// cancelled backup leaves nothing at the output.
@Suite("backup pipeline (in process)")
struct ArchiveBuilderPipelineTests {
    private func withTree(_ body: (String, String) async throws -> Void) async throws {
        let root = NSTemporaryDirectory() + "sindri-pipeline-\(UUID().uuidString.prefix(8))"
        let home = root + "/home"
        let out = root + "/out"
        let manager = FileManager.default
        defer { try? manager.removeItem(atPath: root) }
        try manager.createDirectory(atPath: out, withIntermediateDirectories: true)
        for index in 0..<300 {
            let folder = "\(home)/d\(index % 7)/e\(index % 3)"
            try manager.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let size = index % 50 == 0 ? 70_000 : index * 13
            let bytes = (0..<size).map { UInt8(truncatingIfNeeded: ($0 &* 7) ^ index) }
            try Data(bytes).write(to: URL(fileURLWithPath: "\(folder)/f\(index)"))
        }
        try await body(home, out)
    }

    private func config(workers: Int) -> ArchiveConfig {
        var config = ArchiveConfig(profile: .full, source: SourceInfo(instanceName: "test", provider: "local", hostname: "test"))
        config.workers = workers
        config.blockSize = 4096
        return config
    }

    /// The archive after its first member (the manifest records the time and the duration).
    private func afterManifest(_ path: String) throws -> [UInt8] {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(bytes.count > 15 && bytes[10] == 1, "the manifest is one stored block")
        let end = 10 + 5 + Int(bytes[11]) + Int(bytes[12]) << 8 + 8
        return Array(bytes[end...])
    }

    @Test("one reader or four, the same bytes; GNU tar lists every member")
    func sameBytesAnyReaders() async throws {
        try await withTree { home, out in
            let one = try await ArchiveBuilder(config(workers: 1)).create(home: home, output: .file(out + "/one.tar.gz"))
            let four = try await ArchiveBuilder(config(workers: 4)).create(home: home, output: .file(out + "/four.tar.gz"))
            #expect(one.fileCount == 300 && four.fileCount == 300)
            #expect(one.memberCount == four.memberCount)
            let oneBytes = try afterManifest(out + "/one.tar.gz")
            let fourBytes = try afterManifest(out + "/four.tar.gz")
            #expect(oneBytes == fourBytes)

            let list = Process()
            list.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            list.arguments = ["tar", "-tzf", out + "/four.tar.gz"]
            let pipe = Pipe()
            list.standardOutput = pipe
            try list.run()
            let names = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n")
            list.waitUntilExit()
            #expect(list.terminationStatus == 0)
            #expect(names.count == four.memberCount + 3, "members, the manifest, the index and the checksum list")
            #expect(names.suffix(2).map(String.init) == [".sindri/backup-index.jsonl", ".backup-checksums.sha256"])
            #expect(names.first == ".backup-manifest.json")
        }
    }

    @Test("a cancelled backup throws and leaves the output directory empty")
    func cancelled() async throws {
        try await withTree { home, out in
            let builder = ArchiveBuilder(config(workers: 2))
            let task = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await builder.create(home: home, output: .file(out + "/cancelled.tar.gz"))
            }
            await #expect(throws: CancellationError.self) { try await task.value }
            let left = try FileManager.default.contentsOfDirectory(atPath: out)
            #expect(left.isEmpty, "left behind: \(left)")
        }
    }
}
