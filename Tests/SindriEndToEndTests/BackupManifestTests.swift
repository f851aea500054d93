import Foundation
import Testing

/// The manifest tells the truth about the archive it heads, and the two checksum files verify
/// with `sha256sum` itself. Everything is read back with Python and coreutils.
@Suite("backup manifest and checksums (end to end)")
struct BackupManifestTests {
    /// The standard fixture home (hard link, symlink, empty directory, an installed extension) plus more
    /// extensions and, optionally, a `sindri.yaml` naming the instance.
    private func home(in temp: TemporaryDirectory, instanceName: String?) throws -> String {
        let home = temp.sub("home")
        let f = try Fixture.guideHome(at: home)
        try f.file("workspace/.system/installed/python", "3.1.0\n")
        try f.file("workspace/.system/installed/docker", "")
        try f.data("workspace/projects/app/blob.bin", Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7919 >> 3) }))
        if let instanceName {
            try f.file("sindri.yaml", "# deployment\nname: \(instanceName)\nprovider: fly\nextensions:\n  name: not-this-one\n  provider: not-this-either\n")
        }
        return home
    }

    @Test("the manifest is the first member and its statistics, checksum, source and extensions are true",
          arguments: ["full", "standard"])
    func manifestTellsTheTruth(profile: String) throws {
        let temp = try TemporaryDirectory("manifest")
        let home = try home(in: temp, instanceName: "my-sindri-dev")
        let archive = temp.path + "/out.tar.gz"
        let run = try Sindri.run(["backup", "--home", home, "-o", archive, "-p", profile])
        #expect(run.status == 0, "stderr: \(run.stderr)")

        let report = try ArchiveReport.inspect(archive)
        #expect(try gnuTarList(archive).names.first == ".backup-manifest.json")
        #expect(report.names.first == ".backup-manifest.json")
        #expect(report.manifestMemberNames == [".backup-manifest.json"], "member 0 holds only the manifest")
        #expect(report.lengthProblems.isEmpty, "\(report.lengthProblems)")
        #expect(report.memberKinds.first == "data" && report.memberKinds.last == "trailer")
        #expect(report.memberKinds == report.memberKinds.sorted(), "data members all come before the trailer")

        let manifest = report.manifest
        let statistics = manifest.statistics
        #expect(manifest.profile == profile && manifest.backupType == profile)
        #expect(manifest.compression == "gzip")
        #expect(statistics.filesIncluded == report.regularFiles)
        #expect(report.hardLinks == 1, "the fixture's hard link is a link member, not counted as a file")
        #expect(statistics.totalSizeBytes == report.regularBytes)
        #expect(statistics.compressedSizeBytes == report.fileSize)
        let ratio = Double(statistics.compressedSizeBytes) / Double(statistics.totalSizeBytes)
        #expect(abs(statistics.compressionRatio - ratio) <= 1e-6, "ratio \(statistics.compressionRatio) vs \(ratio)")
        #expect(statistics.durationSeconds > 0)
        #expect(manifest.checksum.algorithm == "sha256")
        #expect(manifest.checksum.value == report.dataChecksum, "checksum.value must be the SHA256 of the SB members")

        #expect(manifest.source.instanceName == "my-sindri-dev")
        #expect(manifest.source.provider == "fly")
        #expect(manifest.extensions.installed.sorted() == ["docker", "nodejs", "python"])
    }

    @Test("without sindri.yaml the instance name is the host name")
    func instanceNameFallsBackToHostName() throws {
        let temp = try TemporaryDirectory("manifest-host")
        let home = try home(in: temp, instanceName: nil)
        let archive = temp.path + "/out.tar.gz"
        #expect(try Sindri.run(["backup", "--home", home, "-o", archive]).status == 0)
        let host = try Shell.python("import socket; print(socket.gethostname())").stdoutText
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let manifest = try ArchiveReport.inspect(archive).manifest
        #expect(manifest.source.instanceName == host)
        #expect(manifest.source.hostname == host)
    }

    @Test("the .sha256 sidecar passes sha256sum -c, and the extracted tree passes its own checksum list")
    func checksumFilesVerifyWithCoreutils() throws {
        let temp = try TemporaryDirectory("checksums")
        let home = try home(in: temp, instanceName: "checks")
        let out = temp.sub("out")
        #expect(try Sindri.run(["backup", "--home", home, "-o", out + "/", "-p", "full"]).status == 0)
        let archives = BackupFiles.names(in: out).filter { $0.hasSuffix(".tar.gz") }
        try #require(archives.count == 1, "\(BackupFiles.names(in: out))")
        let archive = archives[0]
        #expect(BackupFiles.names(in: out) == [archive, archive + ".sha256"])

        let sidecar = try Shell.run(["sha256sum", "-c", archive + ".sha256"], cwd: out)
        #expect(sidecar.status == 0, "\(sidecar.stdoutText) \(sidecar.stderr)")
        #expect(sidecar.stdoutText == "\(archive): OK\n")

        let extracted = temp.sub("extracted")
        #expect(try Shell.run(["tar", "-xzf", out + "/" + archive, "-C", extracted]).status == 0)
        let tree = try Shell.run(["sha256sum", "-c", "--quiet", ".backup-checksums.sha256"], cwd: extracted)
        #expect(tree.status == 0 && tree.stdoutText.isEmpty && tree.stderr.isEmpty, "\(tree.stdoutText) \(tree.stderr)")
        // One line per archived regular file, and one for the index: the list covers the whole archive.
        let list = try String(contentsOfFile: extracted + "/.backup-checksums.sha256", encoding: .utf8)
        #expect(BackupFiles.lines(list).count == (try ArchiveReport.inspect(out + "/" + archive)).regularFiles + 1)
        #expect(BackupFiles.lines(list).contains { $0.hasSuffix("  .sindri/backup-index.jsonl") })
    }
}
