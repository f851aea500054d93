import Foundation
import SindriArchive
import SindriBackup
#if canImport(Glibc)
import Glibc
import SindriReporting
import SindriSystem
#endif

/// Everything a command tells the user, in text or as `--json` events, on the right stream.
///
/// Commands hand it library events (`SindriEvent`) with the text to print in human mode; it
/// decides where each goes:
/// - JSON mode: every event as one line on the JSON stream (standard output, or standard error
///   when standard output carries the archive); no other byte is written to that stream. With
///   `-q`, no `status` events: only items asked for, warnings, errors and the summary.
/// - Text mode: items (`-v`, `--dry-run -v`, `list`) on standard output (standard error when it
///   carries the archive), warnings and errors on standard error, the summary on standard error
///   unless `-q`. The progress line, if any, is erased before each of them and redrawn after.
///
/// Thread-safe: engine callbacks may report from any thread.
final class Reporter: @unchecked Sendable {
    let command: String
    let json: Bool
    let quiet: Bool
    let verbose: Bool
    /// The descriptor JSON lines go to.
    let jsonDescriptor: Int32
    /// The descriptor text listings (items) go to.
    let listingDescriptor: Int32
    /// The terminal progress line, when wanted.
    let progressLine: ProgressLine?

    private let lock = NSLock()
    /// Items waiting to be written (see `item`), and where.
    private var pending: [UInt8] = []
    private var pendingDescriptor: Int32 = STDOUT_FILENO
    private let clock = ContinuousClock()
    private var lastStatus: ContinuousClock.Instant?
    private var lastSnapshot: ProgressSnapshot?
    /// Seconds between two `status` events in JSON mode.
    private let statusInterval: Duration = .seconds(1)

    /// A reporter for `command` with the shared output options; `standardOutputCarriesData` moves
    /// the JSON stream and text listings to standard error (`backup -o -`).
    init(command: String, options: OutputOptions, standardOutputCarriesData: Bool = false) {
        self.command = command
        json = options.json
        quiet = options.quiet
        verbose = options.verbose
        jsonDescriptor = standardOutputCarriesData ? STDERR_FILENO : STDOUT_FILENO
        listingDescriptor = standardOutputCarriesData ? STDERR_FILENO : STDOUT_FILENO
        let wanted = ProgressLine.isWanted(
            mode: options.progress, quiet: options.quiet, json: options.json, jsonOnStandardError: standardOutputCarriesData)
        progressLine = wanted ? ProgressLine() : nil
    }

    /// A plain-text reporter (for code paths that have no options: argument errors).
    init(command: String, json: Bool, jsonOnStandardError: Bool) {
        self.command = command
        self.json = json
        quiet = false
        verbose = false
        jsonDescriptor = jsonOnStandardError ? STDERR_FILENO : STDOUT_FILENO
        listingDescriptor = STDOUT_FILENO
        progressLine = nil
    }

    // MARK: Events

    /// Emits any event (JSON mode only); text mode prints nothing.
    func emit(_ event: SindriEvent) {
        guard json else { return }
        guard var line = try? event.jsonLine() else { return }
        lock.lock()
        defer { lock.unlock() }
        flushLocked()
        DescriptorWriter.writeAll(&line, to: jsonDescriptor)
    }

    /// One path's result: the event in JSON mode, `text` on the listing stream otherwise.
    ///
    /// Items come by the million (`list`, `-v`), so they are gathered into 64 KiB writes; any
    /// other message, and the end of the command, writes them out first, so order is kept.
    func item(_ event: SindriEvent, text: @autoclosure () -> String) {
        if progressLine != nil {
            if json { return emit(event) }
            return writeText(text(), to: listingDescriptor)
        }
        let bytes: [UInt8]
        let descriptor: Int32
        if json {
            guard let line = try? event.jsonLine() else { return }
            bytes = line
            descriptor = jsonDescriptor
        } else {
            let line = text()
            bytes = Array((line.hasSuffix("\n") ? line : line + "\n").utf8)
            descriptor = listingDescriptor
        }
        lock.lock()
        defer { lock.unlock() }
        if descriptor != pendingDescriptor { flushLocked() }
        pendingDescriptor = descriptor
        pending.append(contentsOf: bytes)
        if pending.count >= 1 << 16 { flushLocked() }
    }

    /// Writes out gathered items.
    func flush() {
        lock.lock()
        defer { lock.unlock() }
        flushLocked()
    }

    private func flushLocked() {
        guard !pending.isEmpty else { return }
        DescriptorWriter.writeAll(&pending, to: pendingDescriptor)
        pending.removeAll(keepingCapacity: true)
    }

    /// A warning: the event, or `sindri: warning: ...` on standard error.
    func warning(_ event: SindriEvent) {
        if json { return emit(event) }
        guard case .warning(let warning) = event else { return }
        let location = warning.path.map { "\($0): " } ?? ""
        writeText("sindri: warning: \(location)\(warning.message)", to: STDERR_FILENO)
    }

    /// A backup warning.
    func warning(_ warning: BackupWarning) { self.warning(warning.event) }

    /// A warning that is not about one path.
    func warning(_ message: String) { warning(.warning(SindriEvent.Warning(message: message))) }

    /// A text-only note on standard error (suppressed by `-q` and `--json`).
    func note(_ text: String) {
        guard !json, !quiet else { return }
        writeText(text, to: STDERR_FILENO)
    }

    /// Progress: the terminal line (throttled to 10/s) and, in JSON mode, a `status` event at
    /// most once a second (the first one at once).
    func progress(_ snapshot: ProgressSnapshot, immediately: Bool = false) {
        progressLine?.update(snapshot, immediately: immediately)
        // `--json -q`: errors, warnings and the summary only.
        guard json, !quiet else { return }
        lock.lock()
        lastSnapshot = snapshot
        let now = clock.now
        if !immediately, let lastStatus, now - lastStatus < statusInterval {
            lock.unlock()
            return
        }
        lastStatus = now
        lock.unlock()
        emit(snapshot.statusEvent(command: command))
    }

    /// A final `status` at the end of the work, so every JSON stream of a long command has one.
    func finalProgress(_ snapshot: ProgressSnapshot) {
        progressLine?.finish()
        guard !quiet else { return }
        emit(snapshot.statusEvent(command: command))
    }

    /// Shows a phase ("scanning ...") on the progress line; `delayed` waits a quarter of a second
    /// first, so that nothing flashes on the terminal for a quick run or an immediate error.
    func phase(_ text: String, delayed: Bool = false) {
        if delayed {
            progressLine?.show(text, after: .milliseconds(250))
        } else {
            progressLine?.show(text)
        }
    }

    /// The run's outcome: the `summary` event, or `text` on standard error unless `-q`. The
    /// progress line is erased first, for good.
    ///
    /// `isReport`: the text is the command's answer (verify's report), so it goes to standard
    /// output, where `sindri verify b.tgz | less` finds it.
    func summary(_ event: SindriEvent, text: String, isReport: Bool = false) {
        progressLine?.finish()
        if json { return emit(event) }
        guard !quiet else { return }
        writeText(text, to: isReport ? STDOUT_FILENO : STDERR_FILENO)
    }

    /// A failure: the `exit_error` event, or `sindri: error: ...` on standard error.
    func failure(_ message: String, status: ExitStatus, error: SindriError? = nil) {
        progressLine?.finish()
        if json {
            return emit(.exitError(SindriEvent.ExitError(
                code: status.rawValue, message: message, errorCode: error?.code.rawValue, path: error?.path)))
        }
        writeText("sindri: error: \(message)", to: STDERR_FILENO)
    }

    /// An interruption (SIGINT/SIGTERM): the `exit_error` event or a line on standard error.
    func interrupted(status: ExitStatus) {
        progressLine?.finish()
        let message = "interrupted; partial output removed"
        if json {
            return emit(.exitError(SindriEvent.ExitError(code: status.rawValue, message: message, errorCode: "cancelled")))
        }
        writeText("sindri: \(message)", to: STDERR_FILENO)
    }

    // MARK: Text

    /// Writes a line of text, above the progress line when one is shown.
    func writeText(_ text: String, to descriptor: Int32) {
        flush()
        if let progressLine {
            progressLine.printAbove(text, to: descriptor)
            return
        }
        var bytes = Array((text.hasSuffix("\n") ? text : text + "\n").utf8)
        lock.lock()
        defer { lock.unlock() }
        DescriptorWriter.writeAll(&bytes, to: descriptor)
    }
}

extension Reporter {
    /// The progress callback for reading an archive (restore, verify), or nil when nothing would
    /// show it: progress events go to the progress line and, with `--json`, the JSON stream.
    /// `readingLabel` names the reading phase (`verifying` for verify, where reading is all there is).
    func restoreProgress(
        since start: ContinuousClock.Instant, clock: ContinuousClock, readingLabel: String? = nil
    ) -> (@Sendable (RestoreProgress) -> Void)? {
        guard progressLine != nil || json else { return nil }
        return { @Sendable progress in
            let elapsed = clock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            var snapshot = ProgressSnapshot(progress, elapsed: seconds)
            if progress.phase == .reading, let readingLabel { snapshot.phase = readingLabel }
            // A phase change is drawn at once: the throttle would hide a short stage.
            self.progress(snapshot, immediately: progress.phase != .reading)
        }
    }
}
