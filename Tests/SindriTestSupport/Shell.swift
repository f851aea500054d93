import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The result of running a program.
package struct ProcessOutput: Sendable {
    package var status: Int32
    package var stdout: Data
    package var stderr: String

    package init(status: Int32, stdout: Data, stderr: String) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
    }
    package var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
}

package enum Shell {
    /// Runs a program (looked up on PATH) and waits for it.
    @discardableResult
    package static func run(_ arguments: [String], environment: [String: String]? = nil, stdin: Data? = nil, cwd: String? = nil) throws -> ProcessOutput {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        if let cwd { process.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let input = Pipe()
        process.standardInput = stdin == nil ? FileHandle.nullDevice : input
        try process.run()
        if let stdin {
            DispatchQueue.global().async {
                input.fileHandleForWriting.write(stdin)
                try? input.fileHandleForWriting.close()
            }
        }
        // Drain both pipes concurrently so a chatty child never blocks.
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return ProcessOutput(status: process.terminationStatus, stdout: outData, stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Runs a shell snippet with bash.
    @discardableResult
    package static func bash(_ script: String, cwd: String? = nil) throws -> ProcessOutput {
        try run(["bash", "-c", script], cwd: cwd)
    }

    /// Runs Python code with arguments.
    @discardableResult
    package static func python(_ code: String, _ arguments: [String] = []) throws -> ProcessOutput {
        try run(["python3", "-c", code] + arguments)
    }
}

/// Members of a .tar.gz as GNU tar lists them.
package func gnuTarList(_ archive: String) throws -> (names: [String], stderr: String, status: Int32) {
    let result = try Shell.run(["tar", "-tzf", archive])
    return (result.stdoutText.split(separator: "\n").map(String.init), result.stderr, result.status)
}
