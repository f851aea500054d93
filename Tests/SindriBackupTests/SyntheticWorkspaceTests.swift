import Foundation
import SindriSynthetic
import Testing

@Suite("Synthetic workspace generator")
struct SyntheticWorkspaceTests {
    @Test("the same spec gives byte-identical trees, names, modes and timestamps; another seed does not")
    func determinism() throws {
        let parent = try SyntheticTestSupport.makeTemporaryDirectory()
        defer { SyntheticTestSupport.removeDirectory(parent) }
        let spec = WorkspaceSpec(totalBytes: 12 << 20, seed: 2024)
        let first = try WorkspaceGenerator.generate(spec, at: parent + "/first")
        let second = try WorkspaceGenerator.generate(spec, at: parent + "/second")
        let other = try WorkspaceGenerator.generate(WorkspaceSpec(totalBytes: 12 << 20, seed: 2025), at: parent + "/other")

        let firstListing = try SyntheticTestSupport.listing(of: first.root)
        let secondListing = try SyntheticTestSupport.listing(of: second.root)
        #expect(firstListing.count > 500)
        #expect(firstListing.count == secondListing.count)
        let firstDifference = zip(firstListing, secondListing).first { $0 != $1 }
        #expect(firstDifference == nil, "first difference: \(String(describing: firstDifference))")
        #expect(first.totalBytes == second.totalBytes && first.fileCount == second.fileCount)
        #expect(try SyntheticTestSupport.listing(of: other.root) != firstListing)

        // The root's own timestamp is fixed too.
        let rootTimes = try ["first", "second"].map {
            try SyntheticTestSupport.shell("stat -c %Y.%y \($0)", in: parent)
        }
        #expect(rootTimes[0] == rootTimes[1])
    }

    @Test("the tree lands within 5% of the requested size and the figures match the disk", arguments: [16, 40])
    func requestedSize(megabytes: Int) throws {
        let requested = Int64(megabytes) << 20
        try SyntheticTestSupport.withWorkspace(WorkspaceSpec(totalBytes: requested, seed: 7)) { workspace in
            let onDisk = try SyntheticTestSupport.shell(
                "find . -type f -printf '%i %s\\n' | sort -u | awk '{ total += $2 } END { print total }'",
                in: workspace.root)
            let diskBytes = Int64(onDisk.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
            #expect(diskBytes == workspace.totalBytes)
            #expect(abs(Double(diskBytes - requested)) <= Double(requested) * 0.05)

            let files = try SyntheticTestSupport.paths(in: workspace.root, type: "f")
            let directories = try SyntheticTestSupport.paths(in: workspace.root, type: "d")
            let symlinks = try SyntheticTestSupport.paths(in: workspace.root, type: "l")
            #expect(files.count == workspace.fileCount)
            #expect(directories.count == workspace.directoryCount)
            #expect(symlinks.count == workspace.symlinkCount)

            // Excluded folders add about 15% on top of the included part; a quarter is already compressed.
            let excludedShare = Double(workspace.excludedBytes) / Double(workspace.totalBytes)
            #expect(excludedShare > 0.10 && excludedShare < 0.16)
            let incompressibleShare = Double(workspace.incompressibleBytes) / Double(workspace.totalBytes)
            #expect(incompressibleShare > 0.18 && incompressibleShare < 0.35)

            // Mostly small files: thousands per GiB, median well under 8 KiB.
            let sizes = try SyntheticTestSupport.shell("find . -type f -printf '%s\\n' | sort -n", in: workspace.root)
                .split(separator: "\n").compactMap { Int($0) }
            #expect(sizes[sizes.count / 2] < 8 << 10)
            #expect(Double(sizes.count) / Double(requested) * Double(1 << 30) > 5_000)
        }
    }

    @Test("small-files mode writes exactly N files of 100 B - 4 KiB in nested directories, nothing else")
    func smallFilesMode() throws {
        try SyntheticTestSupport.withWorkspace(WorkspaceSpec(totalBytes: 1 << 30, seed: 3, smallFilesOnly: 3_001)) {
            workspace in
            let files = try SyntheticTestSupport.paths(in: workspace.root, type: "f")
            #expect(files.count == 3_001)
            #expect(workspace.fileCount == 3_001)
            #expect(try SyntheticTestSupport.paths(in: workspace.root, type: "l").isEmpty)
            #expect(files.allSatisfy { $0.hasPrefix("workspace/projects/") })
            let sizes = try SyntheticTestSupport.shell("find . -type f -printf '%s\\n'", in: workspace.root)
                .split(separator: "\n").compactMap { Int($0) }
            #expect(sizes.count == 3_001)
            #expect(sizes.allSatisfy { (100...4096).contains($0) })
            let depths = Set(files.map { $0.split(separator: "/").count })
            #expect(depths.allSatisfy { $0 >= 5 })
            let leafDirectories = Set(files.map { $0.split(separator: "/").dropLast().joined(separator: "/") })
            #expect(leafDirectories.count >= 20)
        }
    }

    @Test("a non-empty destination is refused and left untouched")
    func refusesNonEmptyDestination() throws {
        let parent = try SyntheticTestSupport.makeTemporaryDirectory()
        defer { SyntheticTestSupport.removeDirectory(parent) }
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: parent + "/existing.txt"))
        #expect {
            try WorkspaceGenerator.generate(WorkspaceSpec(totalBytes: 1 << 20, seed: 1), at: parent)
        } throws: { error in
            (error as? SyntheticWorkspaceError)?.code == .destinationNotEmpty
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent) == ["existing.txt"])
    }

    @Test(
        "byte counts parse with binary suffixes",
        arguments: [
            ("10", Int64(10)), ("512k", 512 << 10), ("64M", 64 << 20), ("1G", 1 << 30), ("2GiB", 2 << 30),
            ("3T", 3 << 40), (" 8m ", 8 << 20),
        ] as [(String, Int64)])
    func byteCountParsing(text: String, expected: Int64) {
        #expect(ByteCountText.parse(text) == expected)
    }

    @Test("malformed byte counts are rejected", arguments: ["", "abc", "-5", "1X", "G", "1.5G", "99999999999T"])
    func byteCountRejection(text: String) {
        #expect(ByteCountText.parse(text) == nil)
    }
}
