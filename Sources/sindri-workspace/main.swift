// sindri-workspace: writes a deterministic synthetic developer home for tests and benchmarks.
//
//   sindri-workspace <DIR> [--size 1G] [--seed 42] [--small-files N]
//
// Arguments are parsed by hand so that this tool depends on SindriSynthetic only.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import SindriSynthetic

/// The parsed command line.
struct WorkspaceCommand {
    var directory: String?
    var spec = WorkspaceSpec(totalBytes: 1 << 30, seed: 42)
    var showHelp = false

    static let usage = """
        usage: sindri-workspace <DIR> [--size SIZE] [--seed N] [--small-files N]

        Generates a deterministic synthetic developer home in DIR (which must be missing or empty).
          --size SIZE        total bytes, with optional k/M/G/T suffix (default 1G)
          --seed N           seed; the same seed and size give a byte-identical tree (default 42)
          --small-files N    only N small files (100 B - 4 KiB) in nested directories; --size is ignored
        """

    /// Parses `arguments` (without the program name); returns an error message for bad input.
    static func parse(_ arguments: [String]) -> Result<WorkspaceCommand, UsageError> {
        var command = WorkspaceCommand()
        var remaining = arguments[...]
        while let argument = remaining.popFirst() {
            var name = argument
            var inlineValue: String?
            if argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                inlineValue = String(argument[argument.index(after: equals)...])
            }
            func value() -> String? { inlineValue ?? remaining.popFirst() }
            switch name {
            case "-h", "--help":
                command.showHelp = true
            case "--size":
                guard let text = value(), let bytes = ByteCountText.parse(text) else {
                    return .failure(UsageError("--size needs a byte count such as 64M or 1G"))
                }
                command.spec.totalBytes = bytes
            case "--seed":
                guard let text = value(), let seed = UInt64(text) else {
                    return .failure(UsageError("--seed needs a non-negative integer"))
                }
                command.spec.seed = seed
            case "--small-files":
                guard let text = value(), let count = Int(text), count >= 0 else {
                    return .failure(UsageError("--small-files needs a non-negative integer"))
                }
                command.spec.smallFilesOnly = count
            default:
                if argument.hasPrefix("-") { return .failure(UsageError("unknown option \(argument)")) }
                guard command.directory == nil else { return .failure(UsageError("only one directory may be given")) }
                command.directory = argument
            }
        }
        if command.directory == nil, !command.showHelp { return .failure(UsageError("missing directory")) }
        return .success(command)
    }
}

/// A command-line mistake, printed with the usage text.
struct UsageError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

switch WorkspaceCommand.parse(Array(CommandLine.arguments.dropFirst())) {
case .failure(let error):
    printError("sindri-workspace: \(error.message)\n\n\(WorkspaceCommand.usage)")
    exit(2)
case .success(let command):
    if command.showHelp {
        print(WorkspaceCommand.usage)
        exit(0)
    }
    let started = Date()
    do {
        let workspace = try WorkspaceGenerator.generate(command.spec, at: command.directory!)
        let seconds = Date().timeIntervalSince(started)
        print("\(workspace.summary) in \(String(format: "%.1f", seconds)) s")
    } catch {
        printError("sindri-workspace: \(error)")
        exit(1)
    }
}
