import Foundation
@testable import SindriRemote

/// `Fixtures/fault_proxy.py` in front of the test S3 server. Every fault is scheduled by
/// counting requests, never by the clock (see the script's notes), so a test meets the same
/// faults on an idle machine and on one running the whole suite.
final class FaultProxy: @unchecked Sendable {
    /// The proxy's behaviour; see `Fixtures/fault_proxy.py` for each option.
    struct Schedule {
        /// Every `every`-th new request gets the next applicable fault of `faults`, on its first try only.
        var every = 0
        var faults: [String] = []
        /// Every request, every try, gets this answering fault.
        var always: String?
        /// Part uploads after the first `failPartsAfter` are answered 500 on every try.
        var failPartsAfter: Int?
        /// Part uploads after the first `holdPartsAfter` are held open, never answered.
        var holdPartsAfter: Int?
        /// Ranged GETs starting at or past this offset are truncated on every try.
        var breakGetsFrom: UInt64?
        /// Every request is answered as AWS does for a bucket in this region.
        var wrongRegion: String?
        /// 301 (PermanentRedirect) or 400 (AuthorizationHeaderMalformed).
        var regionStatus = 301

        var arguments: [String] {
            var result = ["--every", String(every), "--faults", faults.joined(separator: ",")]
            if let always { result += ["--always", always] }
            if let failPartsAfter { result += ["--fail-parts-after", String(failPartsAfter)] }
            if let holdPartsAfter { result += ["--hold-parts-after", String(holdPartsAfter)] }
            if let breakGetsFrom { result += ["--break-gets-from", String(breakGetsFrom)] }
            if let wrongRegion { result += ["--wrong-region", wrongRegion, "--region-status", String(regionStatus)] }
            return result
        }
    }

    /// Every kind of fault, in the order the schedule deals them.
    static let allFaults = ["drop", "500", "503", "slowdown", "stall", "truncate", "short", "reset"]

    let port: Int
    private let process: Process
    private let input: Pipe
    // The log lines, appended by the reader thread, read by the test: the lock guards them,
    // which is why the class may be @unchecked Sendable.
    private let lock = NSLock()
    private var lines: [String] = []
    private var stopped = false
    private var reader: Thread?
    private let readerDone = DispatchSemaphore(value: 0)

    init(upstreamPort: Int, _ schedule: Schedule) throws {
        let script = Bundle.module.url(forResource: "Fixtures/fault_proxy", withExtension: "py")!.path
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, String(upstreamPort)] + schedule.arguments
        let output = Pipe()
        let log = Pipe()
        input = Pipe()
        process.standardOutput = output
        process.standardInput = input
        process.standardError = log
        try process.run()
        var line = Data()
        while let byte = try output.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data([10]) { line += byte }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else { throw TestServerError(message: "the fault proxy did not start") }
        self.port = port
        let handle = log.fileHandleForReading
        let thread = Thread { [self] in
            var partial = Data()
            // `availableData`, not `read(upToCount:)`, which waits for the whole count: the
            // tests wait on lines as they come.
            while case let chunk = handle.availableData, !chunk.isEmpty {
                partial += chunk
                while let newline = partial.firstIndex(of: 10) {
                    let text = String(decoding: partial[partial.startIndex..<newline], as: UTF8.self)
                    partial = Data(partial[partial.index(after: newline)...])
                    lock.lock()
                    lines.append(text)
                    lock.unlock()
                }
            }
            readerDone.signal()
        }
        reader = thread
        thread.start()
    }

    convenience init(server: S3TestServer, _ schedule: Schedule) throws {
        try self.init(upstreamPort: URL(string: server.endpoint)!.port!, schedule)
    }

    var endpoint: String { "http://127.0.0.1:\(port)" }

    /// The log so far, one event a line.
    var log: [String] {
        lock.lock()
        defer { lock.unlock() }
        return lines
    }

    /// Waits until a log line starts with `prefix` (polling: the proxy logs as it goes); false
    /// after `seconds`, a bound far above any wait on a loaded machine, never a measurement.
    func waitFor(_ prefix: String, seconds: Double = 300) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if log.contains(where: { $0.hasPrefix(prefix) }) { return true }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        return false
    }

    /// Stops the proxy (closing the connections it holds); returns the faults it injected, one line each.
    @discardableResult
    func stop() -> [String] {
        lock.lock()
        let first = !stopped
        stopped = true
        lock.unlock()
        guard first else { return log.filter { $0.hasPrefix("fault ") } }
        try? input.fileHandleForWriting.close()
        // The log's end of file is the proxy's exit (not `waitUntilExit`, which was seen to
        // hang on a child already gone in a test process running many; see S3TestServer).
        readerDone.wait()
        return log.filter { $0.hasPrefix("fault ") }
    }
}
