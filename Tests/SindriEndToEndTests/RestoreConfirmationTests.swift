import Foundation
import Testing

/// The merge/full confirmation, on a real pseudo-terminal: asked after the analysis with the
/// plan's figures, only when something existing would be replaced; no leaves the home unchanged
/// (exit 1); without a terminal on stdin, or with --no-interactive, nothing is asked.
@Suite("restore confirmation on a terminal (end to end)")
struct RestoreConfirmationTests {
    struct TerminalRun {
        var status: Int32
        /// Everything the terminal showed (stdout and stderr together).
        var screen: String
        var prompted: Bool
    }

    /// Runs `sindri ARGUMENTS` with stdin, stdout and stderr on a pseudo-terminal. When the prompt
    /// (`[y/N]`) appears, types `answer` (or, without one, kills the run: it should not have asked).
    static func onTerminal(_ arguments: [String], answer: String?, box: RestoreSandbox) throws -> TerminalRun {
        let script = """
            import json, os, pty, select, signal, sys, time
            answer = sys.argv[1]
            pid, fd = pty.fork()
            if pid == 0:
                os.environ['HOME'] = sys.argv[2]
                os.chdir(sys.argv[2])
                os.execv(sys.argv[3], sys.argv[3:])
            screen, prompted, deadline = b'', False, time.time() + 120
            while time.time() < deadline:
                ready, _, _ = select.select([fd], [], [], 0.5)
                if ready:
                    try:
                        chunk = os.read(fd, 65536)
                    except OSError:
                        break
                    if not chunk:
                        break
                    screen += chunk
                if not prompted and b'[y/N]' in screen:
                    prompted = True
                    if answer == '-':
                        os.kill(pid, signal.SIGKILL)
                    elif answer == 'SIGINT':
                        os.kill(pid, signal.SIGINT)
                    else:
                        os.write(fd, answer.encode() + b'\\n')
            else:
                os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
            code = os.waitstatus_to_exitcode(status)
            print(json.dumps({'status': code, 'screen': screen.decode('utf-8', 'replace'), 'prompted': prompted}))
            """
        let output = try Shell.python(script, [answer ?? "-", box.envHome, Sindri.binary] + arguments)
        guard output.status == 0, let object = try JSONSerialization.jsonObject(with: output.stdout) as? [String: Any] else {
            throw RestoreTestError.pythonFailed(output.stderr)
        }
        return TerminalRun(status: Int32(object["status"] as? Int ?? -1), screen: object["screen"] as? String ?? "",
                           prompted: object["prompted"] as? Bool ?? false)
    }

    /// An archive of `a.txt`, `b.txt`, `.bashrc`, `d` (a file) and a home where `a.txt` and
    /// `.bashrc` differ and `d` is a directory.
    static func prepare(_ box: RestoreSandbox) throws -> String {
        let source = box.temp.sub("source")
        let f = Fixture(root: source)
        try f.file("a.txt", "archived a\n")
        try f.file("b.txt", "archived b\n")
        try f.file(".bashrc", "export FROM_BACKUP=1\n")
        try f.file("d", "archived d\n")
        let archive = try box.backup(of: source, profile: "full")
        let h = Fixture(root: box.home)
        try h.file("a.txt", "the user's a\n")
        try h.file(".bashrc", "export MINE=1\n")
        try h.file("d/inside", "the user's d\n")
        return archive
    }

    @Test("merge: asked after the analysis with the figures; no changes nothing and exits 1")
    func mergeDeclined() throws {
        let box = try RestoreSandbox("confirm-no")
        let archive = try Self.prepare(box)
        let before = try box.fullSnapshot()
        let run = try Self.onTerminal(["restore", archive, "--home", box.home, "--mode", "merge"], answer: "n", box: box)
        #expect(run.prompted, "\(run.screen)")
        #expect(run.screen.contains("1 kept as .bak and replaced, 1 merged, 1 type conflict replaced, 1 created"), "\(run.screen)")
        #expect(run.status == 1, "\(run.screen)")
        #expect(run.screen.contains("restore cancelled; nothing in the home was changed"), "\(run.screen)")
        let after = try box.fullSnapshot()
        #expect(after == before, "declining changed: \(after.differences(from: before))")
        #expect(!box.exists(".sindri"))
    }

    @Test("Ctrl-C at the question stops the restore (exit 130), the home unchanged")
    func interruptedAtQuestion() throws {
        let box = try RestoreSandbox("confirm-int")
        let archive = try Self.prepare(box)
        let before = try box.fullSnapshot()
        let run = try Self.onTerminal(["restore", archive, "--home", box.home, "--mode", "full"], answer: "SIGINT", box: box)
        #expect(run.prompted, "\(run.screen)")
        #expect(run.status == 130, "\(run.screen)")
        let after = try box.fullSnapshot()
        #expect(after == before, "an interrupted question changed: \(after.differences(from: before))")
    }

    @Test("full: yes restores, and the figures say what is replaced")
    func fullAccepted() throws {
        let box = try RestoreSandbox("confirm-yes")
        let archive = try Self.prepare(box)
        let run = try Self.onTerminal(["restore", archive, "--home", box.home, "--mode", "full"], answer: "y", box: box)
        #expect(run.prompted, "\(run.screen)")
        #expect(run.screen.contains("2 replaced, 1 type conflict replaced, 1 created"), "\(run.screen)")
        #expect(run.status == 0, "\(run.screen)")
        #expect(box.read("a.txt") == "archived a\n")
        #expect(box.read("d") == "archived d\n")
        #expect(box.read("b.txt") == "archived b\n")
    }

    @Test("nothing existing would change: no question at all")
    func nothingReplaced() throws {
        let box = try RestoreSandbox("confirm-none")
        let archive = try Self.prepare(box)
        for path in ["a.txt", ".bashrc", "d/inside", "d"] { unlink(box.home + "/" + path); rmdir(box.home + "/" + path) }
        let run = try Self.onTerminal(["restore", archive, "--home", box.home, "--mode", "merge"], answer: nil, box: box)
        #expect(!run.prompted, "asked although nothing is replaced: \(run.screen)")
        #expect(run.status == 0, "\(run.screen)")
        #expect(box.read("a.txt") == "archived a\n")
    }

    @Test("--no-interactive on a terminal, or stdin that is not a terminal: no question, the restore runs")
    func notAsked() throws {
        let box = try RestoreSandbox("confirm-off")
        let archive = try Self.prepare(box)
        let run = try Self.onTerminal(["restore", archive, "--home", box.home, "--mode", "merge", "--no-interactive"], answer: nil, box: box)
        #expect(!run.prompted, "\(run.screen)")
        #expect(run.status == 0, "\(run.screen)")
        #expect(box.read("a.txt") == "archived a\n")

        let other = try RestoreSandbox("confirm-pipe")
        let second = try Self.prepare(other)
        let piped = try Sindri.run(["restore", second, "--home", other.home, "--mode", "full"], environment: ["HOME": other.envHome],
                                   stdin: Data("n\n".utf8), cwd: other.envHome)
        #expect(piped.status == 0, "\(piped.stderr)")
        #expect(!piped.stderr.contains("[y/N]"), "\(piped.stderr)")
        #expect(other.read("a.txt") == "archived a\n")
    }
}
