import Foundation

/// A temporary directory removed when the test is done with it.
final class AgeTemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("sindri-age-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func write(_ name: String, _ bytes: [UInt8]) throws {
        try Data(bytes).write(to: url.appendingPathComponent(name))
    }

    func read(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: url.appendingPathComponent(name)))
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// The outcome of running an external tool.
struct AgeToolResult {
    var status: Int32
    var standardOutput: [UInt8]
    var standardError: String
}

/// Runs `arguments[0]` (looked up in PATH) with standard input from `input` (or nothing),
/// output captured in files so that no pipe can fill up.
func runAgeTool(_ arguments: [String], input: String? = nil, in directory: AgeTemporaryDirectory) throws -> AgeToolResult {
    let id = UUID().uuidString
    let outputPath = directory.path("stdout-\(id)")
    let errorPath = directory.path("stderr-\(id)")
    _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
    _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
    let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
    let error = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    process.standardOutput = output
    process.standardError = error
    if let input {
        process.standardInput = FileHandle(forReadingAtPath: input)
    } else {
        process.standardInput = FileHandle.nullDevice
    }
    try process.run()
    process.waitUntilExit()
    try output.close()
    try error.close()
    return AgeToolResult(
        status: process.terminationStatus,
        standardOutput: Array(try Data(contentsOf: URL(fileURLWithPath: outputPath))),
        standardError: String(decoding: try Data(contentsOf: URL(fileURLWithPath: errorPath)), as: UTF8.self))
}

/// Runs a command on a pseudo-terminal (python3's pty module) and types `passphrase` at each of
/// its passphrase prompts, as a person would: `age -p` and `age -d` read a passphrase from the
/// terminal only.
func runOnTerminal(
    _ arguments: [String], passphrase: String, in directory: AgeTemporaryDirectory
) throws -> AgeToolResult {
    let script = """
        import os, pty, sys, time
        passphrase = sys.argv[1].encode()
        pid, fd = pty.fork()
        if pid == 0:
            os.execvp(sys.argv[2], sys.argv[2:])
        seen = b""
        answered = 0
        deadline = time.time() + 120
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
                time.sleep(0.1)
                os.write(fd, passphrase + b"\\n")
        _, status = os.waitpid(pid, 0)
        sys.stderr.buffer.write(seen)
        sys.exit(os.waitstatus_to_exitcode(status))
        """
    return try runAgeTool(["python3", "-c", script, passphrase] + arguments, in: directory)
}
