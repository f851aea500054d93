import Foundation
import Testing

/// `--dry-run` answers "what would be archived?" truthfully and touches nothing.
@Suite("backup --dry-run (end to end)")
struct BackupDryRunTests {
    /// Every path and file under `root` with its size and mtime: a dry run must change none of them.
    private func snapshot(_ root: String) throws -> String {
        try Shell.python("""
            import os, sys
            for d, dirs, files in sorted(os.walk(sys.argv[1])):
                for n in sorted(dirs + files):
                    st = os.lstat(os.path.join(d, n))
                    print(os.path.join(d, n), st.st_size, st.st_mtime_ns)
            """, [root]).stdoutText
    }

    @Test("--dry-run writes nothing and prints a summary with files and bytes")
    func writesNothing() throws {
        let temp = try TemporaryDirectory("dryrun")
        let home = temp.sub("home")
        _ = try Fixture.guideHome(at: home)
        let out = temp.sub("out")
        let before = try snapshot(temp.path)
        let run = try Sindri.run(["backup", "--home", home, "-o", out + "/", "--dry-run"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(try snapshot(temp.path) == before, "a dry run changed the disk")
        #expect(BackupFiles.names(in: out).isEmpty)

        // The summary's figures are the real run's.
        #expect(try Sindri.run(["backup", "--home", home, "-o", temp.path + "/real.tar.gz"]).status == 0)
        let statistics = try ArchiveReport.inspect(temp.path + "/real.tar.gz").manifest.statistics
        let summary = BackupFiles.lines(run.stderr).joined(separator: "\n")
        let figures = try #require(summary.firstMatch(of: /(\d+) files, (\d+(?:\.\d+)?) (B|KiB|MiB|GiB)/), "\(summary)")
        #expect(Int(figures.1) == statistics.filesIncluded, "\(summary)")
        let units: [String: Double] = ["B": 1, "KiB": 1024, "MiB": 1_048_576, "GiB": 1_073_741_824]
        let unit = units[String(figures.3)] ?? 0
        let bytes = (Double(figures.2) ?? 0) * unit
        #expect(abs(bytes - Double(statistics.totalSizeBytes)) <= unit * 0.05, "\(summary) vs \(statistics.totalSizeBytes) bytes")
        #expect(summary.lowercased().contains("dry run"), "\(summary)")
        #expect(run.stdout.isEmpty, "without -v nothing goes to standard output")
    }

    @Test("--dry-run -v marks every archived path + and every excluded one - with its rule")
    func verboseListsDecisions() throws {
        let temp = try TemporaryDirectory("dryrun-v")
        let home = temp.sub("home")
        _ = try Fixture.guideHome(at: home)
        let run = try Sindri.run(["backup", "--home", home, "-o", temp.path + "/x.tar.gz", "--dry-run", "-v", "--exclude", "*.toml"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: temp.path + "/x.tar.gz"))
        let lines = BackupFiles.lines(run.stdoutText)
        let included = Set(lines.filter { $0.hasPrefix("+ ") }.map { Self.path(of: $0) })
        let excluded = Dictionary(lines.filter { $0.hasPrefix("- ") }.map { (Self.path(of: $0), $0) }, uniquingKeysWith: { a, _ in a })

        // "+" lines are exactly what the real run archives.
        let archive = temp.path + "/real.tar.gz"
        #expect(try Sindri.run(["backup", "--home", home, "-o", archive, "--exclude", "*.toml"]).status == 0)
        let members = try BackupFiles.dataMembers(archive)
        #expect(included == members, "listed but not archived: \(included.subtracting(members).sorted()); archived but not listed: \(members.subtracting(included).sorted())")

        // "-" lines name the path and the rule that excluded it.
        let expectations: [(String, String)] = [
            ("workspace/config/settings.toml", "*.toml"),
            ("workspace/projects/app/node_modules/", "node_modules"),
            (".cache/", ".cache"),
            (".sindri/", ".sindri"),
            ("notes.txt", "standard"),
            (".initialized", "marker"),
        ]
        for (path, rule) in expectations {
            let line = excluded[path]
            #expect(line?.contains(rule) == true, "\(path): \(line ?? "no - line")")
        }
    }

    /// The path of a `+ path\t(rule)` line.
    private static func path(of line: String) -> String {
        let body = line.dropFirst(2)
        return String(body.split(separator: "\t", maxSplits: 1).first ?? body)
    }
}
