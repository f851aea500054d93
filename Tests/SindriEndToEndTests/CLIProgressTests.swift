import Foundation
import SindriBackup
import SindriReporting
import Testing

/// The progress line: drawn on a terminal, never into a pipe, off with -q, --progress never,
/// TERM=dumb and --json; forced with --progress always.
@Suite("progress line (end to end)", .enabled(if: Terminal.isAvailable))
struct CLIProgressTests {
    /// A home with 6 MiB of incompressible data: six 1 MiB blocks, so several progress reports.
    static func home(_ temp: TemporaryDirectory) throws -> String {
        let home = temp.sub("home")
        try CLIFiles.smallHome(at: home)
        try Fixture(root: home).data("workspace/projects/data/blob.bin", CLIFiles.randomData(6 << 20))
        return home
    }

    /// The redraws in what a terminal received: the text after each `\r`, up to the erase-to-end.
    static func redraws(_ output: String) -> [String] {
        output.components(separatedBy: "\r").dropFirst().compactMap { segment in
            guard let end = segment.range(of: "\u{1B}[K") else { return nil }
            return String(segment[..<end.lowerBound])
        }.filter { !$0.isEmpty }
    }

    @Test("on a terminal: redrawn in place, fits the width, erased before the summary")
    func onTerminal() throws {
        let temp = try TemporaryDirectory("progress-tty")
        let home = try Self.home(temp)
        let started = Date()
        let run = try Terminal.run([Sindri.binary, "backup", "--home", home, "-o", temp.path + "/a.tar.gz"],
                                   environment: ["TERM": "xterm", "COLUMNS": "100"])
        let elapsed = Date().timeIntervalSince(started)
        let output = run.stdoutText
        #expect(run.status == 0, "\(output)")
        let lines = Self.redraws(output).filter { $0.contains("%") }
        #expect(!lines.isEmpty, "no progress line in: \(output.debugDescription)")
        for line in lines {
            #expect(ProgressFormat.displayWidth(line) <= 99, "wider than the terminal: \(line)")
            // At 100 columns: elapsed time, phase, percentage, files, ETA, errors (see ProgressFormat.line).
            #expect(line.hasPrefix("[") && line.contains("archiving"), "\(line)")
            #expect(line.contains("%") && line.contains("files") && line.contains("ETA") && line.contains("error"), "\(line)")
        }
        #expect(Double(lines.count) <= elapsed * 10 + 2, "\(lines.count) redraws in \(elapsed) s")
        // The summary comes after an erase, on a clean line.
        let summary = try #require(output.range(of: "Backup created:"))
        #expect(output[..<summary.lowerBound].hasSuffix("\r\u{1B}[K"), "summary not preceded by an erase")
        #expect(output.contains("/5 files"), "totals from the walk: \(output.debugDescription)")
    }

    @Test("warnings appear on their own line, not inside the progress line")
    func warningsAbove() throws {
        let temp = try TemporaryDirectory("progress-warn")
        let home = try Self.home(temp)
        try CLIFiles.skippedFile(home + "/workspace/projects/pipe")
        let run = try Terminal.run([Sindri.binary, "backup", "--home", home, "-o", temp.path + "/a.tar.gz"],
                                   environment: ["TERM": "xterm", "COLUMNS": "100"])
        #expect(run.status == 3)
        let visible = run.stdoutText.components(separatedBy: "\r\n").map { line in
            // What remains visible of a terminal line: the text after its last carriage return or erase.
            line.components(separatedBy: "\r").last!.components(separatedBy: "\u{1B}[K").last!
        }
        #expect(visible.contains { $0.hasPrefix("sindri: warning: workspace/projects/pipe") }, "\(visible)")
    }

    @Test("never into a pipe, nor with -q, --progress never, TERM=dumb or --json", arguments: [
        ("pipe", [String](), [String: String](), false),
        ("-q", ["-q"], ["TERM": "xterm"], true),
        ("--progress never", ["--progress", "never"], ["TERM": "xterm"], true),
        ("TERM=dumb", [], ["TERM": "dumb"], true),
        ("--json", ["--json"], ["TERM": "xterm"], true),
    ])
    func absent(label: String, extra: [String], environment: [String: String], onTerminal: Bool) throws {
        let temp = try TemporaryDirectory("progress-off")
        let home = try Self.home(temp)
        let arguments = ["backup", "--home", home, "-o", temp.path + "/a.tar.gz"] + extra
        let output: String
        if onTerminal {
            let run = try Terminal.run([Sindri.binary] + arguments, environment: environment)
            #expect(run.status == 0)
            output = run.stdoutText.replacingOccurrences(of: "\r\n", with: "\n")
        } else {
            let run = try Sindri.run(arguments, environment: ["TERM": "xterm"])
            #expect(run.status == 0)
            output = run.stderr + run.stdoutText
        }
        #expect(!output.contains("\r") && !output.contains("\u{1B}"), "\(label): \(output.debugDescription)")
        if label == "-q" { #expect(!output.contains("Backup created"), "-q prints no summary") }
        if label == "--json" {
            let stream = JSONStream(output)
            #expect(stream.badLines.isEmpty && stream.types.last == "summary", "\(stream.badLines)")
        }
    }

    @Test("--progress always draws into a pipe too")
    func forced() throws {
        let temp = try TemporaryDirectory("progress-always")
        let home = try Self.home(temp)
        let run = try Sindri.run(["backup", "--home", home, "-o", temp.path + "/a.tar.gz", "--progress", "always"])
        #expect(run.status == 0)
        #expect(Self.redraws(run.stderr).contains { $0.contains("archiving") && $0.contains("%") }, "\(run.stderr.debugDescription)")
        #expect(run.stdout.isEmpty)
    }
}
