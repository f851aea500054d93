import Foundation

/// Runs a command-line tool with stdout and stderr captured in files, so that a large output can
/// never deadlock on a full pipe (`Shell.run` drains pipes instead, for small outputs).
package enum ToolRunner {
    package struct Output: Sendable {
        package var status: Int32
        package var standardOutput: [UInt8]
        package var standardError: [UInt8]
    }

    /// Runs `arguments[0]` (looked up on PATH) with `environment` added to this process's, stdin
    /// from `input` (or nothing), the capture files in `scratch`.
    package static func run(
        _ arguments: [String], environment: [String: String] = [:], input: URL? = nil, scratch: URL
    ) throws -> Output {
        let id = UUID().uuidString
        let outputURL = scratch.appendingPathComponent("stdout-\(id)")
        let errorURL = scratch.appendingPathComponent("stderr-\(id)")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outputURL)
            try? FileManager.default.removeItem(at: errorURL)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        let outputHandle = try FileHandle(forWritingTo: outputURL)
        let errorHandle = try FileHandle(forWritingTo: errorURL)
        process.standardOutput = outputHandle
        process.standardError = errorHandle
        process.standardInput = try input.map { try FileHandle(forReadingFrom: $0) } ?? FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try outputHandle.close()
        try errorHandle.close()
        return Output(
            status: process.terminationStatus,
            standardOutput: [UInt8](try Data(contentsOf: outputURL)),
            standardError: [UInt8](try Data(contentsOf: errorURL)))
    }
}

/// The outcome of running a command-line tool (codec tests).
package struct ToolResult: Sendable {
    package var status: Int32
    package var standardOutput: [UInt8]
    package var standardError: String
}

/// Runs `tool` (looked up on PATH) with stdin from `input`.
package func runTool(_ tool: String, _ arguments: [String], input: URL? = nil, in directory: TemporaryDirectory) throws
    -> ToolResult
{
    let output = try ToolRunner.run([tool] + arguments, input: input, scratch: directory.url)
    return ToolResult(
        status: output.status, standardOutput: output.standardOutput,
        standardError: String(decoding: output.standardError, as: UTF8.self))
}

/// The outcome of running an external tool (tar tests).
package struct TarToolResult: Sendable {
    package var status: Int32
    package var standardOutput: [UInt8]
    package var standardError: [UInt8]
    package var standardErrorText: String { String(decoding: standardError, as: UTF8.self) }
    package var standardOutputText: String { String(decoding: standardOutput, as: UTF8.self) }
}

/// Runs `arguments[0]` (looked up on PATH) in the C.UTF-8 locale and the UTC time zone, so
/// listings are predictable.
package func runTarTool(_ arguments: [String], in directory: TarTemporaryDirectory) throws -> TarToolResult {
    let output = try ToolRunner.run(
        arguments, environment: ["LC_ALL": "C.UTF-8", "TZ": "UTC", "PYTHONWARNINGS": "default"], scratch: directory.url)
    return TarToolResult(status: output.status, standardOutput: output.standardOutput, standardError: output.standardError)
}
