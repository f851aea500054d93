import Foundation
import SindriBackup
#if canImport(Glibc)
import Glibc
import SindriReporting
#endif

/// The one-line progress display on a terminal, redrawn in place with `\r`.
///
/// Thread-safe (engine callbacks arrive from worker tasks, warnings from the command): one lock
/// orders every write to the terminal, so a warning never lands in the middle of a redraw.
/// Redraws are limited to `maximumRate` per second; the text itself comes from
/// `ProgressFormat.line`, which is unit-tested separately. Writes are small and at most ten a
/// second, so they are made directly with `write(2)` from the caller's thread.
final class ProgressLine: @unchecked Sendable {
    private let descriptor: Int32
    private let minimumInterval: Duration
    private let clock = ContinuousClock()
    private let lock = NSLock()
    private var lastDraw: ContinuousClock.Instant?
    /// The text currently on screen (nil when the line is erased).
    private var shown: String?
    private var finished = false

    /// A renderer on `descriptor` (standard error by default), redrawing at most `maximumRate` times a second.
    init(descriptor: Int32 = STDERR_FILENO, maximumRate: Int = 10) {
        self.descriptor = descriptor
        self.minimumInterval = .milliseconds(1000 / max(1, maximumRate))
    }

    /// Whether a progress line belongs on standard error for these options.
    ///
    /// `auto` draws only on a terminal whose TERM is not `dumb`; `-q` and `--json` turn it off
    /// (so does a JSON stream on standard error, which must carry nothing but JSON).
    static func isWanted(mode: ProgressMode, quiet: Bool, json: Bool, jsonOnStandardError: Bool) -> Bool {
        if jsonOnStandardError && json { return false }
        switch mode {
        case .never: return false
        case .always: return true
        case .auto:
            if quiet || json { return false }
            guard isatty(STDERR_FILENO) == 1 else { return false }
            let term = ProcessInfo.processInfo.environment["TERM"] ?? ""
            return term != "dumb"
        }
    }

    /// Draws `snapshot` unless the previous redraw was less than the minimum interval ago (or
    /// `immediately`, for a phase change).
    func update(_ snapshot: ProgressSnapshot, immediately: Bool = false) {
        lock.lock()
        defer { lock.unlock() }
        guard !finished else { return }
        let now = clock.now
        if !immediately, let lastDraw, now - lastDraw < minimumInterval { return }
        lastDraw = now
        draw(ProgressFormat.line(snapshot, width: Self.terminalWidth(descriptor)))
    }

    /// Draws a free text (e.g. "scanning ...") in place of the line, cut to the width.
    func show(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        guard !finished else { return }
        draw(ProgressFormat.truncateRight(text, toWidth: Self.terminalWidth(descriptor) - 1))
    }

    /// Draws `text` after `delay` unless something was drawn (or the line finished) meanwhile:
    /// a quick command, or one that fails at once, then leaves no trace on the terminal.
    func show(_ text: String, after delay: Duration) {
        let seconds = Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [self] in
            lock.lock()
            defer { lock.unlock() }
            guard !finished, lastDraw == nil, shown == nil else { return }
            draw(ProgressFormat.truncateRight(text, toWidth: Self.terminalWidth(descriptor) - 1))
        }
    }

    /// Writes `text` (a whole line) to `target` above the progress line, then redraws the line.
    func printAbove(_ text: String, to target: Int32) {
        lock.lock()
        defer { lock.unlock() }
        let redraw = shown
        if shown != nil { erase() }
        Self.write(text.hasSuffix("\n") ? text : text + "\n", to: target)
        if let redraw, !finished { draw(redraw) }
    }

    /// Erases the line for good: later updates are ignored (the final summary follows).
    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if shown != nil { erase() }
        finished = true
    }

    // Called with the lock held.
    private func draw(_ text: String) {
        Self.write("\r" + text + "\u{1B}[K", to: descriptor)
        shown = text
    }

    private func erase() {
        Self.write("\r\u{1B}[K", to: descriptor)
        shown = nil
    }

    /// The terminal's width in columns: `TIOCGWINSZ`, else `$COLUMNS`, else 80.
    static func terminalWidth(_ descriptor: Int32) -> Int {
        var size = winsize()
        let result = withUnsafeMutablePointer(to: &size) { ioctl(descriptor, UInt(TIOCGWINSZ), $0) }
        if result == 0, size.ws_col > 0 { return Int(size.ws_col) }
        if let columns = ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init), columns > 0 { return columns }
        return 80
    }

    /// Writes all of `text`, retrying short writes and EINTR; other errors are dropped (a
    /// progress display must never fail the command).
    static func write(_ text: String, to descriptor: Int32) {
        var bytes = Array(text.utf8)
        DescriptorWriter.writeAll(&bytes, to: descriptor)
    }
}

/// Whole-buffer writes to a descriptor.
enum DescriptorWriter {
    /// Writes all of `bytes`; returns false on an error other than EINTR (EPIPE, EBADF).
    @discardableResult
    static func writeAll(_ bytes: inout [UInt8], to descriptor: Int32) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { raw in
                Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += written
        }
        return true
    }
}

/// A phase text that keeps moving: redrawn once a second with the time spent in it, so a long
/// step without counters (a bench run) never looks frozen.
final class PhaseTicker: @unchecked Sendable {
    private let reporter: Reporter
    private let lock = NSLock()
    private var text = ""
    private var since = ContinuousClock.now
    private var timer: DispatchSourceTimer?

    init(reporter: Reporter) {
        self.reporter = reporter
        guard reporter.progressLine != nil else { return }
        let timer = DispatchSource.makeTimerSource(queue: .global())
        timer.schedule(deadline: .now() + 1, repeating: 1)
        timer.setEventHandler { [weak self] in self?.redraw() }
        timer.resume()
        self.timer = timer
    }

    deinit { timer?.cancel() }

    /// Shows `text` and restarts its clock.
    func set(_ text: String) {
        lock.lock()
        self.text = text
        since = .now
        lock.unlock()
        redraw()
    }

    /// Stops redrawing.
    func stop() {
        timer?.cancel()
        timer = nil
    }

    private func redraw() {
        lock.lock()
        let elapsed = ContinuousClock.now - since
        let line = text.isEmpty ? "" : "\(text) \(ProgressFormat.duration(Double(elapsed.components.seconds)))"
        lock.unlock()
        guard !line.isEmpty else { return }
        reporter.phase(line)
    }
}
