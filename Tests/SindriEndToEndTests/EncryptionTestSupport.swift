import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A sandbox for the encryption tests: a small home with several 64 KiB chunks' worth of
/// incompressible data, an identity made by `sindri keygen`, and helpers to run `sindri` and
/// `age` on it.
// @unchecked: every stored property is a constant set in init (the directory's path included),
// so the tests of a serialized suite that share one sandbox only read it.
final class EncryptionSandbox: @unchecked Sendable {
    let temp: TemporaryDirectory
    let source: String
    let home: String
    let envHome: String
    let key: String
    let recipient: String

    init(_ label: String) throws {
        temp = try TemporaryDirectory(label)
        source = temp.sub("source")
        home = temp.sub("home")
        envHome = temp.sub("env-home")
        let fixture = Fixture(root: source)
        try fixture.file(".gitconfig", "[user]\n\tname = Dev\n")
        try fixture.file(".ssh/id_ed25519", "-----BEGIN OPENSSH PRIVATE KEY-----\nsecret\n", mode: 0o600)
        try fixture.data("workspace/data.bin", CLIFiles.randomData(400_000, seed: 7))
        try fixture.file("workspace/notes.txt", String(repeating: "a note\n", count: 2000))
        key = temp.path + "/key.txt"
        let keygen = try Sindri.run(["keygen", "-o", key], environment: ["HOME": envHome])
        guard keygen.status == 0 else { throw EncryptionTestError.failed("keygen: \(keygen.stderr)") }
        recipient = keygen.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func file(_ name: String) -> String { temp.path + "/" + name }

    /// `sindri ARGS` with HOME pointing into the sandbox.
    @discardableResult
    func sindri(_ arguments: [String], environment: [String: String] = [:], stdin: Data? = nil) throws -> ProcessOutput {
        var env = ["HOME": envHome]
        env.merge(environment) { _, new in new }
        return try Sindri.run(arguments, environment: env, stdin: stdin, cwd: envHome)
    }

    /// A full-profile backup of the source with `extra` options; fails the caller if it fails.
    func backup(_ extra: [String], to name: String = "b.tar.gz.age") throws -> String {
        let archive = file(name)
        let result = try sindri(["backup", "--home", source, "-p", "full", "-o", archive] + extra)
        guard result.status == 0 else { throw EncryptionTestError.failed("backup: \(result.stderr)") }
        return archive
    }

    /// `sindri restore ARCHIVE --home HOME --no-interactive EXTRA...`
    @discardableResult
    func restore(_ archive: String, _ extra: [String], environment: [String: String] = [:], stdin: Data? = nil) throws -> ProcessOutput {
        try sindri(["restore", archive, "--home", home, "--no-interactive"] + extra, environment: environment, stdin: stdin)
    }

    /// Whether the restored home holds the source's files, byte for byte.
    func homeMatchesSource() throws -> Bool {
        try Shell.run(["diff", "-r", "--exclude=.sindri", source, home]).status == 0
    }

    /// Whether the home is still empty (nothing written, not even `.sindri`).
    var homeIsEmpty: Bool { CLIFiles.isEmptyDirectory(home) }

    /// The size of the header and payload nonce of an age file (the first sealed chunk's offset).
    static func payloadStart(_ bytes: [UInt8]) -> Int {
        let marker = Array("\n--- ".utf8)
        var index = 0
        while Array(bytes[index..<(index + marker.count)]) != marker { index += 1 }
        let lineEnd = bytes[(index + 1)...].firstIndex(of: 0x0A)!
        return lineEnd + 1 + 16
    }
}

enum EncryptionTestError: Error {
    case failed(String)
}

/// Runs a command on a pseudo-terminal (python3's pty module) and types `passphrase` at each
/// prompt that asks for one, as a person would; `age` and `sindri` read passphrases from the
/// terminal, never from standard input.
enum PassphraseTerminal {
    static let script = """
        import os, pty, sys, time
        passphrase = sys.argv[1].encode()
        pid, fd = pty.fork()
        if pid == 0:
            os.execvp(sys.argv[2], sys.argv[2:])
        seen = b""
        answered = 0
        deadline = time.time() + 300
        while time.time() < deadline:
            try:
                chunk = os.read(fd, 1024)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
            if seen.lower().count(b"passphrase") > answered:
                answered += 1
                time.sleep(0.2)
                os.write(fd, passphrase + b"\\n")
        _, status = os.waitpid(pid, 0)
        sys.stdout.buffer.write(seen)
        sys.exit(os.waitstatus_to_exitcode(status))
        """

    /// What the terminal showed (prompts, messages) and the exit status.
    static func run(_ arguments: [String], passphrase: String, environment: [String: String] = [:]) throws -> ProcessOutput {
        try Shell.run(["python3", "-c", script, passphrase] + arguments, environment: environment)
    }
}
