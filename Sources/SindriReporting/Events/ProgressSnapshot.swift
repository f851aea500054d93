import SindriArchive
import SindriBackup

/// Where a long command stands, in the terms every command shares: files and bytes done out of
/// totals known in advance (from the walk, or from the archive's manifest), bytes written, errors
/// so far and the path being worked on.
///
/// The terminal progress line and the `status` event are both made from it, so `backup`, `restore`
/// and `verify` report progress the same way.
public struct ProgressSnapshot: Sendable, Equatable {
    /// Seconds since the command started.
    public var elapsed: Double
    public var filesDone: Int
    public var filesTotal: Int
    /// Input bytes processed (file content for backup, archive content for restore and verify).
    public var bytesDone: UInt64
    public var bytesTotal: UInt64
    /// Output bytes produced (compressed bytes for backup); nil when the command writes nothing.
    public var bytesOut: UInt64?
    /// Warnings and errors met so far.
    public var errors: Int
    /// The path being worked on, as raw bytes.
    public var currentPath: [UInt8]
    /// What the command is doing (`archiving`, `reading`, `planning`, `snapshot`, `applying`,
    /// `committing`); empty when it has a single phase.
    public var phase: String
    /// Whether the counters describe this phase (false for phases that report no per-file
    /// progress, such as a restore's planning and commit: the line then shows only the phase).
    public var counts: Bool

    public init(
        elapsed: Double, filesDone: Int, filesTotal: Int, bytesDone: UInt64, bytesTotal: UInt64,
        bytesOut: UInt64? = nil, errors: Int = 0, currentPath: [UInt8] = [], phase: String = "", counts: Bool = true
    ) {
        self.elapsed = elapsed
        self.filesDone = filesDone
        self.filesTotal = filesTotal
        self.bytesDone = bytesDone
        self.bytesTotal = bytesTotal
        self.bytesOut = bytesOut
        self.errors = errors
        self.currentPath = currentPath
        self.phase = phase
        self.counts = counts
    }

    /// A backup's progress report taken `elapsed` seconds after the start.
    public init(_ progress: BackupProgress, elapsed: Double) {
        self.init(
            elapsed: elapsed, filesDone: progress.filesDone, filesTotal: progress.filesTotal,
            bytesDone: progress.bytesDone, bytesTotal: progress.bytesTotal, bytesOut: progress.compressedBytes,
            errors: progress.warnings, currentPath: progress.currentPath, phase: "archiving")
    }

    /// Percent of the bytes done (of the files when there are no bytes), 0-100, for people.
    public var percentDone: Double { fractionDone * 100 }

    /// The share of the bytes done (of the files when there are no bytes), 0-1: the JSON
    /// `percent_done`, a fraction as restic writes it.
    public var fractionDone: Double {
        if bytesTotal > 0 { return min(1, Double(bytesDone) / Double(bytesTotal)) }
        if filesTotal > 0 { return min(1, Double(filesDone) / Double(filesTotal)) }
        return 0
    }

    /// Input bytes per second since the start; nil before any time has passed.
    public var inputRate: Double? {
        elapsed > 0 ? Double(bytesDone) / elapsed : nil
    }

    /// Output bytes per second since the start; nil when there is no output or no time has passed.
    public var outputRate: Double? {
        guard let bytesOut, elapsed > 0 else { return nil }
        return Double(bytesOut) / elapsed
    }

    /// Seconds left at the average input rate so far; nil until 1% of the bytes were done (the
    /// walk before the first byte would make earlier estimates absurd).
    public var secondsRemaining: Double? {
        guard let rate = inputRate, rate > 0, bytesDone > 0, bytesDone >= bytesTotal / 100 else { return nil }
        return Double(bytesTotal.saturatingSubtract(bytesDone)) / rate
    }

    /// The `status` event for this snapshot.
    public func statusEvent(command: String) -> SindriEvent {
        .status(SindriEvent.Status(
            command: command, secondsElapsed: EventTime.seconds(elapsed),
            secondsRemaining: secondsRemaining.map(EventTime.seconds),
            percentDone: (fractionDone * 10_000).rounded() / 10_000, filesDone: filesDone, totalFiles: filesTotal,
            bytesDone: bytesDone, totalBytes: bytesTotal, bytesWritten: bytesOut, errorCount: errors,
            currentPath: currentPath.isEmpty ? nil : PathBytes.display(currentPath),
            currentPathBytes: PathBytes.exactBytesField(currentPath),
            phase: phase.isEmpty ? nil : phase))
    }
}

extension UInt64 {
    fileprivate func saturatingSubtract(_ other: UInt64) -> UInt64 { self > other ? self - other : 0 }
}
