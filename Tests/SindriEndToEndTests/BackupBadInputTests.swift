import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Bad input fails fast and cleanly: one line on standard error, a non-zero exit status (64 for
/// usage errors), and no file created in the output directory, not even a temporary one.
@Suite("backup bad input (end to end)")
struct BackupBadInputTests {
    /// One way to call `sindri backup` wrongly. `$T` is a scratch directory holding `home/` (a valid
    /// home), `afile` (a regular file) and `out/` (an empty output directory).
    struct Case: CustomTestStringConvertible, Sendable {
        var label: String
        var arguments: [String]
        var status: Int32 = 64
        /// Needs a user root's permissions do not apply to.
        var unprivileged = false
        /// Rejected by swift-argument-parser itself, which prints its usage text after the error.
        var parserError = false
        /// Prepares the scratch directory (for example, makes something unreadable).
        var prepare: @Sendable (String) -> Void = { _ in }
        var testDescription: String { label }
    }

    static let cases: [Case] = [
        Case(label: "--compression 0", arguments: ["--home", "$T/home", "-o", "$T/out/", "--compression", "0"], parserError: true),
        Case(label: "--compression 10", arguments: ["--home", "$T/home", "-o", "$T/out/", "--compression", "10"], parserError: true),
        Case(label: "--profile bogus", arguments: ["--home", "$T/home", "-o", "$T/out/", "--profile", "bogus"], parserError: true),
        Case(label: "missing home", arguments: ["--home", "$T/no-such-home", "-o", "$T/out/"]),
        Case(label: "home is a file", arguments: ["--home", "$T/afile", "-o", "$T/out/"]),
        Case(label: "unreadable home", arguments: ["--home", "$T/home", "-o", "$T/out/"], unprivileged: true,
             prepare: { chmod($0 + "/home", 0o000) }),
        Case(label: "-o in a missing directory", arguments: ["--home", "$T/home", "-o", "$T/out/missing/b.tar.gz"]),
        Case(label: "-o into an unwritable directory", arguments: ["--home", "$T/home", "-o", "$T/out/b.tar.gz"], unprivileged: true,
             prepare: { chmod($0 + "/out", 0o555) }),
        Case(label: "-o missing-dir/ (trailing slash)", arguments: ["--home", "$T/home", "-o", "$T/out/missing-dir/"]),
    ]

    @Test("bad input: one line on stderr, the documented status, nothing written", arguments: cases)
    func badInput(_ badCase: Case) throws {
        if badCase.unprivileged && !BackupRun.canRunUnprivileged { return }
        let temp = try TemporaryDirectory("bad")
        chmod(temp.path, 0o755)
        try BackupFiles.smallHome(at: temp.sub("home"))
        try Fixture(root: temp.path).file("afile", "not a directory\n")
        let out = temp.sub("out")
        try BackupRun.giveToUnprivileged(temp.path + "/home", out)
        badCase.prepare(temp.path)

        let arguments = ["backup"] + badCase.arguments.map { $0.replacingOccurrences(of: "$T", with: temp.path) }
        let run = badCase.unprivileged ? try BackupRun.runUnprivileged(arguments) : try Sindri.run(arguments)
        #expect(run.status == badCase.status, "stderr: \(run.stderr)")
        let lines = BackupFiles.lines(run.stderr)
        #expect(lines.count == 1, "expected one line on stderr, got: \(run.stderr)")
        #expect(run.stdout.isEmpty)
        chmod(out, 0o755)
        #expect(BackupFiles.names(in: out).isEmpty, "left behind: \(BackupFiles.names(in: out))")
        #expect(BackupFiles.names(in: temp.path).sorted() == ["afile", "home", "out"])
    }
}
