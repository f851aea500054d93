import Crypto
import Foundation
@testable import SindriRemote

/// Running the built `sindri` against the test S3 server, with temporary homes.
enum RemoteCLI {
    static let binary: String = S3TestServer.repositoryRoot.appendingPathComponent(".build/debug/sindri").path

    /// The part size the tests give the debug binary (`SINDRI_TEST_S3_PART_SIZE`): S3's
    /// smallest, so that archives of a few MiB span several parts.
    static let partSize = 5 << 20

    struct Output {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs `sindri` with HOME pointing nowhere real and the server's AWS settings.
    static func run(_ arguments: [String], server: S3TestServer?, extra: [String: String] = [:]) throws -> Output {
        var environment = server?.environment() ?? [:]
        environment["HOME"] = "/nonexistent-sindri-test-home"
        environment["SINDRI_REMOTE_ATTEMPTS"] = environment["SINDRI_REMOTE_ATTEMPTS"] ?? "4"
        for (name, value) in extra { environment[name] = value }
        let result = try runTool([binary] + arguments, environment: environment)
        return Output(status: result.status, stdout: String(decoding: result.stdout, as: UTF8.self), stderr: result.stderr)
    }

    /// A temporary directory, removed by `remove()`.
    final class Scratch {
        let path: String
        init(_ name: String) throws {
            path = FileManager.default.temporaryDirectory.appendingPathComponent("sindri-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        func remove() { try? FileManager.default.removeItem(atPath: path) }
    }

    /// A home with small text files, a nested directory, a symlink and one `bigMiB` file of
    /// incompressible bytes (so the archive spans several upload parts).
    static func makeHome(at root: String, bigMiB: Int) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/workspace/projects/app/src", withIntermediateDirectories: true)
        for index in 0..<40 {
            fm.createFile(atPath: root + "/workspace/projects/app/src/file\(index).swift", contents: Data("let value\(index) = \(index)\n".utf8))
        }
        fm.createFile(atPath: root + "/.bashrc", contents: Data("export PATH=$PATH:/opt/bin\n".utf8))
        try fm.createSymbolicLink(atPath: root + "/workspace/link", withDestinationPath: "projects/app")
        // Read from the kernel: a byte loop in this debug-built test code took seconds per MiB
        // on a loaded machine.
        guard let random = FileHandle(forReadingAtPath: "/dev/urandom") else { throw TestServerError(message: "cannot open /dev/urandom") }
        defer { try? random.close() }
        let big = bigMiB > 0 ? try random.read(upToCount: bigMiB << 20) ?? Data() : Data()
        guard big.count == bigMiB << 20, fm.createFile(atPath: root + "/workspace/data.bin", contents: big) else {
            throw TestServerError(message: "cannot write \(root)/workspace/data.bin")
        }
    }

    /// Relative path -> SHA-256 of every regular file, and symlink targets, under `root`
    /// (`.sindri` excluded: the tool's own state).
    static func tree(_ root: String) throws -> [String: String] {
        var result: [String: String] = [:]
        let fm = FileManager.default
        guard let walker = fm.enumerator(atPath: root) else { return result }
        while let relative = walker.nextObject() as? String {
            if relative.hasPrefix(".sindri") { continue }
            let full = root + "/" + relative
            let attributes = try fm.attributesOfItem(atPath: full)
            switch attributes[.type] as? FileAttributeType {
            case .typeRegular?:
                result[relative] = SHA256.hash(data: try Data(contentsOf: URL(fileURLWithPath: full))).map { String(format: "%02x", $0) }.joined()
            case .typeSymbolicLink?:
                result[relative] = "-> " + (try fm.destinationOfSymbolicLink(atPath: full))
            default:
                continue
            }
        }
        return result
    }

    static func sha256Hex(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }
}
