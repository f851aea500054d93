import Foundation
import Testing

/// `sindri list`: the manifest summary, members like `tar -tv`, `--json`, and reading no further than needed.
@Suite("list (end to end)")
struct CLIListTests {
    static let utc = ["TZ": "UTC"]
    static let hostileName = "bad\nname\u{1B}[31m.txt"

    /// A small home, a hostile file name and 5 MiB of incompressible data; returns the archive.
    static func archive(_ temp: TemporaryDirectory, hostile: Bool = true) throws -> String {
        let home = temp.sub("home")
        let f = try CLIFiles.smallHome(at: home)
        try f.data("workspace/projects/data/blob.bin", CLIFiles.randomData(5 << 20), mtime: 1_234_567_890)
        try f.file("workspace/bin/setuid-tool", "#!/bin/sh\n", mode: 0o4755)
        if hostile { try f.file("workspace/projects/" + hostileName, "x\n") }
        let archive = temp.path + "/a.tar.gz"
        let run = try Sindri.run(["backup", "--home", home, "-o", archive])
        #expect(run.status == 0, "\(run.stderr)")
        return archive
    }

    /// `mode owner size date time name...` of a `tar -tv` style line.
    static func fields(_ line: String) -> [String] {
        line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
    }

    @Test("the manifest summary, then every member as tar -tv lists it")
    func textListing() throws {
        let temp = try TemporaryDirectory("list-text")
        let archive = try Self.archive(temp, hostile: false)
        let run = try Sindri.run(["list", archive], environment: Self.utc)
        #expect(run.status == 0, "\(run.stderr)")
        let lines = CLIFiles.lines(run.stdoutText)
        #expect(lines.first == "Archive:     \(archive)")
        #expect(lines.contains { $0.hasPrefix("Manifest:    version 1.1.0, created ") })
        #expect(lines.contains { $0.hasPrefix("Profile:     standard") })
        #expect(lines.contains { $0.hasPrefix("Contents:    6 files") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("Checksum:    sha256 ") })

        let members = lines.filter { $0.first.map { "-dlhcbp".contains($0) } == true }
        let gnu = try Shell.run(["tar", "--numeric-owner", "-tvzf", archive], environment: Self.utc)
        #expect(gnu.status == 0)
        let gnuMembers = CLIFiles.lines(gnu.stdoutText).filter { !$0.contains(".backup-") && !$0.hasSuffix(" .sindri/backup-index.jsonl") }
        #expect(members.count == gnuMembers.count, "\(members)\n\(gnuMembers)")
        for (ours, theirs) in zip(members, gnuMembers) {
            #expect(Self.fields(ours) == Self.fields(theirs), "sindri: \(ours)\nGNU tar: \(theirs)")
        }
        #expect(members.contains { $0.hasPrefix("-rwsr-xr-x ") && $0.hasSuffix(" workspace/bin/setuid-tool") })
        #expect(members.contains { $0.hasPrefix("lrwxrwxrwx ") && $0.hasSuffix(" workspace/projects/app/link -> README.md") })
        // README-copy.md sorts first, so it carries the content and README.md is the link.
        #expect(members.contains { $0.hasPrefix("h") && $0.hasSuffix(" workspace/projects/app/README.md link to workspace/projects/app/README-copy.md") })
        #expect(members.contains { $0.contains(" 5242880 2009-02-13 23:31 workspace/projects/data/blob.bin") })
        #expect(!members.contains { $0.contains(".backup-manifest.json") }, "the manifest is the summary, not a member line")
    }

    @Test("a hostile name is printed escaped: no terminal escape or line break reaches the output")
    func escapedPaths() throws {
        let temp = try TemporaryDirectory("list-hostile")
        let archive = try Self.archive(temp)
        let run = try Sindri.run(["list", "-q", archive])
        #expect(run.status == 0)
        #expect(!run.stdoutText.contains("\u{1B}"))
        #expect(run.stdoutText.contains(" workspace/projects/bad\\nname\\x1b[31m.txt\n"), "\(run.stdoutText)")
        let json = JSONStream(try Sindri.run(["list", "--json", archive]).stdout)
        #expect(json.of("item").contains { $0["path"] as? String == "workspace/projects/bad\\nname\\x1b[31m.txt" })
    }

    @Test("-q prints the members only")
    func quiet() throws {
        let temp = try TemporaryDirectory("list-q")
        let archive = try Self.archive(temp, hostile: false)
        let lines = CLIFiles.lines(try Sindri.run(["list", "-q", archive]).stdoutText)
        #expect(!lines.isEmpty)
        #expect(lines.allSatisfy { $0.first.map { "-dlh".contains($0) } == true }, "\(lines)")
    }

    @Test("list --json: one item per member with type, mode, size, mtime; the manifest in the summary")
    func json() throws {
        let temp = try TemporaryDirectory("list-json")
        let archive = try Self.archive(temp, hostile: false)
        let run = try Sindri.run(["list", "--json", archive])
        #expect(run.status == 0)
        let stream = JSONStream(run.stdout)
        #expect(stream.badLines.isEmpty, "\(stream.badLines)")
        #expect(stream.types.last == "summary")
        let items = stream.of("item")
        let gnuNames = try CLIFiles.members(archive)
        let names = Set(items.compactMap { item -> String? in
            guard let path = item["path"] as? String else { return nil }
            return item["type"] as? String == "directory" ? path + "/" : path
        })
        #expect(names == gnuNames, "\(names.symmetricDifference(gnuNames))")
        let blob = try #require(items.first { $0["path"] as? String == "workspace/projects/data/blob.bin" })
        #expect(blob["size"] as? Int == 5 << 20)
        #expect(blob["mode"] as? Int == 0o644)
        #expect(blob["mtime"] as? String == "2009-02-13T23:31:30Z")
        #expect(blob["type"] as? String == "file" && blob["action"] as? String == "list")
        #expect(items.contains { $0["type"] as? String == "hardlink" && $0["link_target"] as? String == "workspace/projects/app/README-copy.md" })
        let summary = try #require(stream.of("summary").last)
        #expect(summary["members"] as? Int == items.count)
        #expect(summary["files"] as? Int == 6)
        #expect(summary["archive_bytes"] as? Int == Int(CLIFiles.size(archive)))
        let manifest = try #require(summary["manifest"] as? [String: Any])
        #expect(manifest["version"] as? String == "1.1.0")
        #expect((manifest["statistics"] as? [String: Any])?["files_included"] as? Int == 6)
    }

    @Test("list reads only as far as it needs: big files' blocks are stepped over, the trailer is not read", arguments: [false, true])
    func readsOnlyWhatItNeeds(fromStandardInput: Bool) throws {
        let temp = try TemporaryDirectory("list-partial")
        let archive = try Self.archive(temp, hostile: false)
        let run = fromStandardInput
            ? try Sindri.run(["list", "--json", "-"], stdin: try Data(contentsOf: URL(fileURLWithPath: archive)))
            : try Sindri.run(["list", "--json", archive])
        #expect(run.status == 0, "\(run.stderr)")
        let summary = try #require(JSONStream(run.stdout).of("summary").last)
        let details = try #require(summary["details"] as? [String: Any])
        #expect(details["stopped_at_trailer"] as? Bool == true)
        #expect((details["blocks_skipped"] as? Int ?? 0) >= 3, "\(details)")
        #expect((details["compressed_bytes_read"] as? Int ?? .max) < Int(CLIFiles.size(archive)))
        #expect(JSONStream(run.stdout).of("item").count == (try CLIFiles.members(archive)).count)
    }

    @Test("list - reads standard input and prints the same listing")
    func standardInput() throws {
        let temp = try TemporaryDirectory("list-stdin")
        let archive = try Self.archive(temp, hostile: false)
        let fromFile = try Sindri.run(["list", "-q", archive]).stdoutText
        let fromPipe = try Sindri.run(["list", "-q", "-"], stdin: try Data(contentsOf: URL(fileURLWithPath: archive)))
        #expect(fromPipe.status == 0, "\(fromPipe.stderr)")
        #expect(fromPipe.stdoutText == fromFile)
        let summary = try Sindri.run(["list", "-"], stdin: try Data(contentsOf: URL(fileURLWithPath: archive))).stdoutText
        #expect(summary.hasPrefix("Archive:     standard input\n"))
    }

    @Test("an archive from GNU tar has no manifest and is listed in full")
    func foreignArchive() throws {
        let temp = try TemporaryDirectory("list-gnu")
        let home = temp.sub("home")
        try CLIFiles.smallHome(at: home)
        let archive = temp.path + "/gnu.tar.gz"
        #expect(try Shell.run(["tar", "-czf", archive, "-C", home, "workspace"]).status == 0)
        let run = try Sindri.run(["list", archive])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdoutText.contains("Manifest:    none"))
        #expect(run.stdoutText.contains(" workspace/projects/app/main.swift\n"))
        let json = JSONStream(try Sindri.run(["list", "--json", archive]).stdout)
        let details = json.of("summary").last?["details"] as? [String: Any]
        #expect(details?["stopped_at_trailer"] as? Bool == false)
        #expect(json.of("summary").last?["manifest"] == nil)
    }

    @Test("a truncated archive is an error (4), after the members read so far")
    func truncated() throws {
        let temp = try TemporaryDirectory("list-truncated")
        let archive = try Self.archive(temp, hostile: false)
        let data = try Data(contentsOf: URL(fileURLWithPath: archive))
        let cut = temp.path + "/cut.tar.gz"
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: cut))
        let run = try Sindri.run(["list", cut])
        #expect(run.status == 4, "\(run.stderr)")
        #expect(run.stderr.contains("sindri: error:"))
    }
}
