import Foundation
import SindriBackup
import SindriReporting
import SindriSystem
import Testing

/// The progress line at the widths people use: stable fields, a readable path, labelled phases,
/// and an ETA that never claims to be done early.
@Suite("progress line layout")
struct ProgressLayoutTests {
    static func snapshot(bytesDone: UInt64 = 1_300_000_000, rate: Double = 754, path: String = "workspace/projects/app/src/deeply/nested/module/file.swift") -> ProgressSnapshot {
        ProgressSnapshot(
            elapsed: rate, filesDone: 1234, filesTotal: 5678, bytesDone: bytesDone, bytesTotal: 2_800_000_000,
            bytesOut: 400_000_000, errors: 2, currentPath: Array(path.utf8), phase: "reading")
    }

    @Test("120 columns: phase, counts, ETA, errors and at least 30 columns of path; 200: the rates too")
    func wide() {
        let full = ProgressFormat.line(Self.snapshot(), width: 200)
        #expect(full.contains("in ") && full.contains("out "), "\(full)")
        let line = ProgressFormat.line(Self.snapshot(), width: 120)
        #expect(ProgressFormat.displayWidth(line) <= 119, "\(line)")
        for part in ["[12:34]", "reading", "46.4%", "1.2 GiB/", "2.6 GiB", "1234/5678 files", "ETA ", "2 errors", "file.swift"] {
            #expect(line.contains(part), "missing \(part): \(line)")
        }
        let path = line.components(separatedBy: "  ").last ?? ""
        #expect(ProgressFormat.displayWidth(path) >= 30, "\(line)")
        #expect(path.hasPrefix("workspace/") && path.hasSuffix("/file.swift") && path.contains("…"), "middle-elided: \(path)")
    }

    @Test("80 columns: the phase, percentage, ETA and errors stay, the path keeps its name")
    func medium() {
        let line = ProgressFormat.line(Self.snapshot(), width: 80)
        #expect(ProgressFormat.displayWidth(line) <= 79, "\(line)")
        for part in ["reading", "46.4%", "ETA ", "2 errors", "/file.swift"] {
            #expect(line.contains(part), "missing \(part): \(line)")
        }
    }

    @Test("40 columns: phase, percentage and errors fit")
    func narrow() {
        let line = ProgressFormat.line(Self.snapshot(), width: 40)
        #expect(ProgressFormat.displayWidth(line) <= 39, "\(line)")
        for part in ["reading", "46.4%", "2 errors"] { #expect(line.contains(part), "missing \(part): \(line)") }
    }

    @Test("the layout depends on the width only: the same fields at the same columns on every redraw", arguments: [40, 80, 120])
    func stable(width: Int) {
        let lines = [
            Self.snapshot(bytesDone: 5_000_000, rate: 3, path: "a"),
            Self.snapshot(bytesDone: 1_300_000_000, rate: 754),
            Self.snapshot(bytesDone: 2_799_000_000, rate: 1200, path: String(repeating: "long/", count: 40) + "x"),
        ].map { ProgressFormat.line($0, width: width) }
        func fieldStarts(_ line: String) -> [Int] {
            // Columns where the fixed fields start.
            ["%", "ETA", " error", " files", "in "].map { key in
                line.range(of: key).map { line.distance(from: line.startIndex, to: $0.lowerBound) } ?? -1
            }
        }
        let keys = lines.map { line in ["in ", "ETA", "files", "errors"].map { key in line.contains(key) } }
        #expect(Set(keys.map { $0.description }).count == 1, "fields differ between redraws: \(lines)")
        #expect(Set(lines.map { fieldStarts($0).description }).count == 1, "fields move between redraws: \(lines)")
    }

    @Test("the ETA rounds up: never 0:00 with bytes to go")
    func etaRoundsUp() {
        // 1 MiB left at 10 MiB/s: a tenth of a second, shown as 0:01.
        let snapshot = ProgressSnapshot(elapsed: 100, filesDone: 1, filesTotal: 2, bytesDone: 1000 << 20, bytesTotal: 1001 << 20, phase: "reading")
        #expect(ProgressFormat.line(snapshot, width: 120).contains("ETA  0:01"), "\(ProgressFormat.line(snapshot, width: 120))")
        #expect(ProgressFormat.duration(0.1, roundingUp: true) == "0:01")
        #expect(ProgressFormat.duration(0.1) == "0:00")
    }

    @Test("phases without counters show only their label", arguments: ["planning", "snapshot", "applying", "committing"])
    func phaseLabels(phase: String) {
        var snapshot = Self.snapshot()
        snapshot.phase = phase
        snapshot.counts = false
        let line = ProgressFormat.line(snapshot, width: 80)
        #expect(line.hasPrefix("[12:34] \(phase)"), "\(line)")
        #expect(!line.contains("%"), "\(line)")
    }

    @Test("restore progress carries its phase into the snapshot and the status event")
    func restorePhaseInStatus() throws {
        let progress = RestoreProgress(phase: .applying, filesDone: 3, filesTotal: 3, bytesDone: 10, bytesTotal: 10)
        let snapshot = ProgressSnapshot(progress, elapsed: 1)
        #expect(snapshot.phase == "applying" && !snapshot.counts)
        let line = String(decoding: try snapshot.statusEvent(command: "restore").jsonLine(), as: UTF8.self)
        #expect(line.contains("\"phase\":\"applying\"") && line.contains("\"percent_done\":1"), "\(line)")
    }

    @Test("middle elision keeps the start and the file name", arguments: [12, 20, 30])
    func elision(width: Int) {
        let path = "workspace/projects/some-app/src/components/main.rs"
        let cut = ProgressFormat.elideMiddle(path, toWidth: width)
        #expect(ProgressFormat.displayWidth(cut) <= width, "\(cut)")
        #expect(cut.hasSuffix("main.rs") && cut.contains("…"), "\(cut)")
    }

    @Test("sizes in messages are human first, exact second")
    func messageSizes() {
        #expect(SindriError.size(1_610_612_736) == "1.5 GiB (1610612736 bytes)")
        #expect(SindriError.size(512) == "512 bytes")
    }

    @Test("counts are singular for one, and a tiny archive's size change says why it grew")
    func countsAndSizeChange() {
        #expect(ProgressFormat.count(1, "file") == "1 file" && ProgressFormat.count(2, "path") == "2 paths")
        #expect(ProgressFormat.sizeChange(content: 2, archive: 1946) == "2 B -> 1.9 KiB (headers and metadata outweigh so little content)")
        #expect(ProgressFormat.sizeChange(content: 6 << 20, archive: 6 << 20 + 4096).hasSuffix("(the content does not compress: already compressed data?)"))
        #expect(ProgressFormat.sizeChange(content: 1 << 20, archive: 1 << 19) == "1.0 MiB -> 512.0 KiB, 50.0%")
    }
}
