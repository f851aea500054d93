import Foundation
@testable import SindriRemote

/// `Fixtures/fault_proxy.py` in front of the test S3 server: every `every`-th request gets the
/// next of `faults` (dropped connection, 500, 503, SlowDown, stall, truncated body).
final class FaultProxy {
    let port: Int
    private let process: Process
    private let input: Pipe
    let log: Pipe

    init(upstreamPort: Int, every: Int, faults: [String] = ["500"], stallSeconds: Double = 4, delay: Double = 0, failPartsAfter: Int = -1) throws {
        let script = Bundle.module.url(forResource: "Fixtures/fault_proxy", withExtension: "py")!.path
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, String(upstreamPort), "--every", String(every), "--faults", faults.joined(separator: ","),
                             "--stall", String(stallSeconds), "--delay", String(delay), "--fail-parts-after", String(failPartsAfter)]
        let output = Pipe()
        input = Pipe()
        log = Pipe()
        process.standardOutput = output
        process.standardInput = input
        process.standardError = log
        try process.run()
        var line = Data()
        while let byte = try output.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data([10]) { line += byte }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else { throw TestServerError(message: "the fault proxy did not start") }
        self.port = port
    }

    var endpoint: String { "http://127.0.0.1:\(port)" }

    /// Stops the proxy; returns the faults it injected, one line each.
    func stop() -> [String] {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
        let text = String(decoding: log.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return text.split(separator: "\n").map(String.init).filter { $0.hasPrefix("fault ") }
    }

    static func upstreamPort(of endpoint: String) -> Int {
        URL(string: endpoint)!.port!
    }
}
