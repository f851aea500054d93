import Foundation
import Testing

/// `sindri bench`: reports that parse, and byte counts equal to real backups of the same tree.
@Suite("bench (end to end)")
struct CLIBenchTests {
    static func home(_ temp: TemporaryDirectory) throws -> String {
        let home = temp.sub("home")
        let f = try CLIFiles.smallHome(at: home)
        try f.file("workspace/projects/app/words.txt", (0..<20_000).map { "line \($0) of some text\n" }.joined())
        try f.data("workspace/projects/app/photo.jpg", CLIFiles.randomData(300_000))
        return home
    }

    @Test("--format json parses; each level's bytes equal `sindri backup --compression N` on the same tree")
    func jsonMatchesBackups() throws {
        let temp = try TemporaryDirectory("bench-json")
        let home = try Self.home(temp)
        let run = try Sindri.run(["bench", "--home", home, "--levels", "1,9", "--repeat", "1", "--format", "json", "--temp-dir", temp.path])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: run.stdout) as? [String: Any])
        let rows = try #require(report["rows"] as? [[String: Any]])
        #expect(rows.map { $0["label"] as? String } == ["1", "9", "lz4"])
        for row in rows where row["codec"] as? String == "gzip" {
            let level = try #require(row["level"] as? Int)
            let archive = temp.path + "/level-\(level).tar.gz"
            #expect(try Sindri.run(["backup", "--home", home, "-o", archive, "--compression", "\(level)"]).status == 0)
            #expect(row["output_bytes"] as? Int == Int(CLIFiles.size(archive)), "level \(level)")
            let input = try #require(row["input_bytes"] as? Int)
            let gunzip = try Shell.run(["gzip", "-dc", archive])
            #expect(input == gunzip.stdout.count, "input_bytes is the tar stream")
            let ratio = try #require(row["ratio"] as? Double)
            #expect(abs(ratio - Double(input) / Double(CLIFiles.size(archive))) < 0.001)
            #expect(row["bytes_identical_across_runs"] as? Bool == true)
            for key in ["compress_mb_per_s", "decompress_mb_per_s", "compress_cpu_seconds", "decompress_cpu_seconds", "peak_rss_bytes"] {
                #expect(row[key] is NSNumber, "\(key)")
            }
        }
        let lz4 = try #require(rows.last)
        #expect((lz4["output_bytes"] as? Int ?? 0) > 0)
        let estimate = try #require(report["already_compressed"] as? [String: Any])
        #expect(estimate["compressed_files"] as? Int == 1, "photo.jpg is random data: \(estimate)")
        #expect(estimate["compressed_bytes"] as? Int == 300_000)
        #expect((report["notes"] as? [String])?.contains { $0.contains("deterministic") } == true)
        let leftovers = ((try? FileManager.default.contentsOfDirectory(atPath: temp.path)) ?? []).filter { $0.hasPrefix("sindri-bench-") }
        #expect(leftovers.isEmpty, "temporary files are removed: \(leftovers)")
    }

    @Test("two runs give the same bytes (only times differ)")
    func deterministicBytes() throws {
        let temp = try TemporaryDirectory("bench-determinism")
        let home = try Self.home(temp)
        func bytes() throws -> [Int] {
            let run = try Sindri.run(["bench", "--home", home, "--levels", "3", "--format", "json"])
            let report = try #require(try JSONSerialization.jsonObject(with: run.stdout) as? [String: Any])
            return (report["rows"] as? [[String: Any]] ?? []).flatMap { [$0["input_bytes"] as? Int ?? -1, $0["output_bytes"] as? Int ?? -1] }
        }
        #expect(try bytes() == bytes())
    }

    @Test("text, csv, markdown, --json and --plot")
    func otherFormats() throws {
        let temp = try TemporaryDirectory("bench-formats")
        let home = try Self.home(temp)
        let base = ["bench", "--home", home, "--levels", "1", "--no-lz4"]
        let text = try Sindri.run(base)
        #expect(text.status == 0)
        #expect(text.stdoutText.contains(" 1#gzip :"), "\(text.stdoutText)")
        #expect(text.stdoutText.contains("already compressed: ~"))
        #expect(text.stdoutText.contains("deterministic"))

        let csv = CLIFiles.lines(try Sindri.run(base + ["--format", "csv"]).stdoutText)
        #expect(csv.count == 2)
        #expect(csv.first?.hasPrefix("codec,level,input_bytes,output_bytes,ratio,") == true)
        #expect(csv.last?.hasPrefix("gzip,1,") == true)

        let markdown = try Sindri.run(base + ["--format", "markdown"]).stdoutText
        #expect(markdown.contains("| codec | level | output bytes | ratio |"))

        let plot = temp.path + "/levels.svg"
        let json = try Sindri.run(["bench", "--home", home, "--levels", "1,6", "--json", "--plot", plot])
        #expect(json.status == 0)
        let stream = JSONStream(json.stdout)
        #expect(stream.badLines.isEmpty && stream.types == ["summary"], "\(stream.types) \(stream.badLines)")
        let details = stream.of("summary").first?["details"] as? [String: Any]
        #expect((details?["rows"] as? [Any])?.count == 3)
        let check = try Shell.python("""
            import sys, xml.etree.ElementTree as ET
            root = ET.parse(sys.argv[1]).getroot()
            texts = [t.text for t in root.iter('{http://www.w3.org/2000/svg}text')]
            panels = sum(1 for t in texts if t and 'throughput (MB/s' in t)
            print(panels, 'L1' in texts, 'L6 (default)' in texts, 'lz4' in texts, 'default level' in texts)
            """, [plot])
        #expect(check.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == "2 True True True True", "\(check.stdoutText) \(check.stderr)")
    }

    @Test("--synthetic generates a tree, measures it and removes it")
    func synthetic() throws {
        let temp = try TemporaryDirectory("bench-synthetic")
        let run = try Sindri.run(["bench", "--synthetic", "1M", "--levels", "1", "--no-lz4", "--format", "json", "--temp-dir", temp.path])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: run.stdout) as? [String: Any])
        #expect((report["tree_source"] as? String)?.hasPrefix("--synthetic 1.0 MiB seed 42") == true)
        #expect((report["files"] as? Int ?? 0) > 10)
        #expect(CLIFiles.isEmptyDirectory(temp.path), "left behind: \((try? FileManager.default.contentsOfDirectory(atPath: temp.path)) ?? [])")
    }
}
