import Foundation
import SindriArchive

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What `git check-ignore -v -n` says about one path.
struct GitIgnoreAnswer: Equatable, CustomStringConvertible {
    /// The deciding line of `.gitignore` (a `!` line when git re-included the path), nil when none matched.
    let lineNumber: Int?
    /// The deciding pattern as git prints it.
    let pattern: String

    /// True when git treats the path as ignored (a non-negated pattern decided, for it or a parent).
    var isIgnored: Bool { lineNumber != nil && !pattern.hasPrefix("!") }

    var description: String { lineNumber.map { "line \($0) '\(pattern)'" } ?? "no match" }
}

/// Asks a real git what a `.gitignore` does, in a throwaway repository, so that tests compare our matcher
/// with the reference implementation rather than with our own reading of the documentation.
enum GitIgnoreOracle {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// True when a `git` executable can be run.
    static let isAvailable: Bool = (try? run(["--version"], in: nil).status) == 0

    /// Creates a repository whose `.gitignore` holds `gitignore`, creates `entries` (parents as directories),
    /// and returns git's answer for each path of `queries`, in order.
    static func answers(
        gitignore: [UInt8], entries: [(path: [UInt8], isDirectory: Bool)], queries: [[UInt8]]
    ) throws -> [GitIgnoreAnswer] {
        try answers(gitignores: [gitignore], entries: entries, queries: queries)[0]
    }

    /// Like ``answers(gitignore:entries:queries:)`` for several `.gitignore` contents in turn, in one
    /// repository: one list of answers per content.
    static func answers(
        gitignores: [[UInt8]], entries: [(path: [UInt8], isDirectory: Bool)], queries: [[UInt8]]
    ) throws -> [[GitIgnoreAnswer]] {
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("selection-git-\(UUID().uuidString)").path
        defer { _ = try? run(["-rf", root], in: nil, executable: "rm") }
        guard try run(["-c", "init.defaultBranch=main", "init", "-q", root], in: nil).status == 0 else {
            throw Failure(description: "git init failed in \(root)")
        }
        let rootBytes = Array(root.utf8)
        for entry in entries {
            let components = entry.path.split(separator: UInt8(ascii: "/"))
            var current = rootBytes
            for (index, component) in components.enumerated() {
                current += [UInt8(ascii: "/")] + component
                if index < components.count - 1 || entry.isDirectory {
                    try makeDirectory(current)
                } else {
                    try write([], to: current)
                }
            }
        }
        var input: [UInt8] = []
        for query in queries { input += query + [0] }
        return try gitignores.map { gitignore in
            try write(gitignore, to: rootBytes + Array("/.gitignore".utf8))
            return try checkIgnore(in: root, input: input, count: queries.count)
        }
    }

    private static func checkIgnore(in root: String, input: [UInt8], count: Int) throws -> [GitIgnoreAnswer] {
        let result = try run(
            ["-c", "core.excludesFile=/dev/null", "check-ignore", "--no-index", "-v", "-n", "-z", "--stdin"],
            in: root, input: input)
        guard result.status == 0 || result.status == 1 else {
            throw Failure(description: "git check-ignore exited \(result.status)")
        }
        let fields = result.output.split(separator: 0, omittingEmptySubsequences: false)
        var answers: [GitIgnoreAnswer] = []
        var index = 0
        while index + 3 < fields.count {
            let line = Int(String(decoding: fields[index + 1], as: UTF8.self))
            answers.append(GitIgnoreAnswer(lineNumber: line, pattern: String(decoding: fields[index + 2], as: UTF8.self)))
            index += 4
        }
        guard answers.count == count else {
            throw Failure(description: "git answered \(answers.count) of \(count) paths")
        }
        return answers
    }

    /// The 1-based line numbers of the lines of `contents` that hold a pattern, in order, so that an
    /// ``IgnoreDecision/patternIndex`` can be compared with git's line number.
    static func patternLineNumbers(of contents: [UInt8]) -> [Int] {
        var numbers: [Int] = []
        for (offset, var line) in contents.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            .enumerated()
        {
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            if (try? IgnorePattern.parse(String(decoding: line, as: UTF8.self))) ?? nil != nil {
                numbers.append(offset + 1)
            }
        }
        return numbers
    }

    private static func makeDirectory(_ path: [UInt8]) throws {
        let result = (path + [0]).withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { mkdir($0.baseAddress!, 0o755) }
        }
        if result != 0 && errno != EEXIST {
            throw Failure(description: "mkdir failed: errno \(errno)")
        }
    }

    private static func write(_ contents: [UInt8], to path: [UInt8]) throws {
        let descriptor = (path + [0]).withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_WRONLY | O_CREAT | O_TRUNC, 0o644) }
        }
        guard descriptor >= 0 else { throw Failure(description: "open failed: errno \(errno)") }
        defer { close(descriptor) }
        #if canImport(Glibc)
            let written = contents.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        #else
            let written = contents.withUnsafeBytes { Darwin.write(descriptor, $0.baseAddress, $0.count) }
        #endif
        guard written == contents.count else { throw Failure(description: "write failed: errno \(errno)") }
    }

    private static func run(
        _ arguments: [String], in directory: String?, input: [UInt8] = [], executable: String = "git"
    ) throws -> (status: Int32, output: [UInt8]) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + (directory.map { ["-C", $0] } ?? []) + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["GIT_CONFIG_NOSYSTEM"] = "1"
        environment["GIT_CONFIG_GLOBAL"] = "/dev/null"
        environment["LC_ALL"] = "C"
        process.environment = environment
        let standardInput = Pipe()
        let standardOutput = Pipe()
        process.standardInput = standardInput
        process.standardOutput = standardOutput
        process.standardError = FileHandle.nullDevice
        try process.run()
        standardInput.fileHandleForWriting.write(Data(input))
        try standardInput.fileHandleForWriting.close()
        let output = standardOutput.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, Array(output))
    }
}
