import Foundation
import Testing

/// The documented exit statuses, each produced by a real run.
@Suite("exit statuses (end to end)")
struct CLIExitCodeTests {
    /// One invocation. `$T` is a scratch directory with `home/` (a small home), `fifo-home/` (a home
    /// holding a file it must skip with a warning: a device node, or unreadable when not root), `bad.tar.gz` (not gzip),
    /// `good.tar.gz` (made by the test) and `out/`.
    struct Case: CustomTestStringConvertible, Sendable {
        var label: String
        var arguments: [String]
        var status: Int32
        var environment: [String: String] = [:]
        var testDescription: String { "\(label) -> \(status)" }
    }

    static let cases: [Case] = [
        Case(label: "backup", arguments: ["backup", "--home", "$T/home", "-o", "$T/out/"], status: 0),
        Case(label: "backup with a skipped file", arguments: ["backup", "--home", "$T/fifo-home", "-o", "$T/out/"], status: 3),
        Case(label: "dry run, clean", arguments: ["backup", "--home", "$T/home", "-o", "$T/out/", "--dry-run"], status: 0),
        Case(label: "dry run with a skipped file (what the real run returns)", arguments: ["backup", "--home", "$T/fifo-home", "-o", "$T/out/", "--dry-run"], status: 3),
        Case(label: "dry run into a missing directory (as the real run)", arguments: ["backup", "--home", "$T/home", "-o", "$T/missing/", "--dry-run"], status: 64),
        Case(label: "unknown option", arguments: ["backup", "--no-such-option"], status: 64),
        Case(label: "unknown subcommand", arguments: ["frobnicate"], status: 64),
        Case(label: "--compression 0", arguments: ["backup", "--home", "$T/home", "--compression", "0"], status: 64),
        Case(label: "--exclude-larger-than junk", arguments: ["backup", "--home", "$T/home", "--exclude-larger-than", "12Q"], status: 64),
        Case(label: "missing exclude file", arguments: ["backup", "--home", "$T/home", "-o", "$T/out/", "--exclude-file", "$T/none"], status: 64),
        Case(label: "bad SINDRI_COMPRESSION", arguments: ["backup", "--home", "$T/home", "-o", "$T/out/"], status: 64,
             environment: ["SINDRI_COMPRESSION": "11"]),
        Case(label: "bad SINDRI_PROFILE", arguments: ["backup", "--home", "$T/home", "-o", "$T/out/"], status: 64,
             environment: ["SINDRI_PROFILE": "everything"]),
        Case(label: "missing home", arguments: ["backup", "--home", "$T/none", "-o", "$T/out/"], status: 64),
        Case(label: "list", arguments: ["list", "$T/good.tar.gz"], status: 0),
        Case(label: "list a missing archive", arguments: ["list", "$T/none.tar.gz"], status: 64),
        Case(label: "list a directory", arguments: ["list", "$T/home"], status: 64),
        Case(label: "list a damaged archive", arguments: ["list", "$T/bad.tar.gz"], status: 4),
        Case(label: "bench --home and --synthetic", arguments: ["bench", "--home", "$T/home", "--synthetic", "1M"], status: 64),
        Case(label: "bench --levels 0-3", arguments: ["bench", "--home", "$T/home", "--levels", "0-3"], status: 64),
        Case(label: "--help", arguments: ["--help"], status: 0),
        Case(label: "--version", arguments: ["--version"], status: 0),
    ]

    @Test("each case exits with its documented status", arguments: cases)
    func status(_ testCase: Case) throws {
        let temp = try TemporaryDirectory("exit")
        try CLIFiles.smallHome(at: temp.sub("home"))
        try CLIFiles.smallHome(at: temp.sub("fifo-home"))
        try CLIFiles.skippedFile(temp.path + "/fifo-home/workspace/projects/pipe")
        _ = temp.sub("out")
        try Data("garbage\n".utf8).write(to: URL(fileURLWithPath: temp.path + "/bad.tar.gz"))
        if testCase.arguments.first == "list" {
            #expect(try Sindri.run(["backup", "--home", temp.path + "/home", "-o", temp.path + "/good.tar.gz"]).status == 0)
        }
        let arguments = testCase.arguments.map { $0.replacingOccurrences(of: "$T", with: temp.path) }
        let run = try Sindri.run(arguments, environment: testCase.environment)
        #expect(run.status == testCase.status, "stderr: \(run.stderr)")
        if testCase.status != 0 && testCase.status != 3 {
            #expect(run.stderr.contains("rror"), "an error message on stderr: \(run.stderr)")
        }
        if testCase.label.hasPrefix("dry run") {
            #expect(CLIFiles.isEmptyDirectory(temp.path + "/out"), "a dry run wrote something")
        }
    }

    @Test("sindri --help documents every exit status and the environment")
    func helpDocumentsStatuses() throws {
        let help = try Sindri.run(["--help"]).stdoutText
        #expect(help.contains("EXIT STATUS:"))
        for status in ["0", "1", "3", "4", "5", "6", "64", "130", "143"] {
            #expect(help.contains("\n  \(status) "), "status \(status) undocumented")
        }
        for variable in ["SINDRI_HOME", "SINDRI_PROFILE", "SINDRI_COMPRESSION", "SINDRI_EXCLUDE_FILE"] {
            #expect(help.contains(variable))
        }
        #expect(help.contains("message_type"))
    }

    @Test("every command's help has examples", arguments: ["backup", "list", "bench"])
    func examples(command: String) throws {
        let help = try Sindri.run([command, "--help"])
        #expect(help.status == 0)
        #expect(help.stdoutText.contains("EXAMPLES:"), "\(command) --help has no examples")
        #expect(help.stdoutText.contains("sindri \(command)"))
    }
}
