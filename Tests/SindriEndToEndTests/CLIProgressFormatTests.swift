import Foundation
import SindriBackup
import SindriReporting
import Testing

/// The progress line's text and the event schema, as pure functions (no terminal, no clock).
@Suite("progress line and event formatting")
struct CLIProgressFormatTests {
    @Test("byte counts in binary units", arguments: [
        (UInt64(0), "0 B"), (1023, "1023 B"), (1024, "1.0 KiB"), (1536, "1.5 KiB"), (10 << 20, "10.0 MiB"),
        (UInt64(5) << 30, "5.0 GiB"), (UInt64(3) << 40, "3.0 TiB"),
    ])
    func bytes(value: UInt64, expected: String) {
        #expect(ProgressFormat.bytes(value) == expected)
    }

    @Test("durations as m:ss or h:mm:ss, unknown as --:--", arguments: [
        (0.0, "0:00"), (7.9, "0:07"), (59.0, "0:59"), (60.0, "1:00"), (754.0, "12:34"), (3723.0, "1:02:03"), (-1.0, "--:--"),
        (Double.infinity, "--:--"),
    ])
    func durations(seconds: Double, expected: String) {
        #expect(ProgressFormat.duration(seconds) == expected)
    }

    @Test("rates, percentages")
    func ratesAndPercent() {
        #expect(ProgressFormat.rate(nil) == "-- B/s")
        #expect(ProgressFormat.rate(2.5 * 1024 * 1024) == "2.5 MiB/s")
        #expect(ProgressFormat.percent(45.24) == "45.2%")
        #expect(ProgressFormat.percent(140) == "100.0%")
    }

    @Test("display width counts wide characters twice and combining marks not at all")
    func displayWidth() {
        #expect(ProgressFormat.displayWidth("abc") == 3)
        #expect(ProgressFormat.displayWidth("日本") == 4)
        #expect(ProgressFormat.displayWidth("e\u{301}") == 1)
    }

    @Test("a path is cut from the left, keeping its end, within the width", arguments: [5, 8, 12, 30])
    func truncateLeft(width: Int) {
        let path = "workspace/projects/日本語/some-long-file-name.swift"
        let cut = ProgressFormat.truncateLeft(path, toWidth: width)
        #expect(ProgressFormat.displayWidth(cut) <= width)
        #expect(cut.hasPrefix("…"))
        #expect(path.hasSuffix(String(cut.dropFirst())))
        #expect(ProgressFormat.truncateLeft("short", toWidth: 10) == "short")
    }

    static let snapshot = ProgressSnapshot(
        elapsed: 754, filesDone: 1234, filesTotal: 5678, bytesDone: 1_300_000_000, bytesTotal: 2_800_000_000,
        bytesOut: 400_000_000, errors: 2, currentPath: Array("workspace/projects/app/src/deeply/nested/module/file.swift".utf8))

    @Test("the line fits the terminal at every width and says what the issue asks", arguments: [10, 20, 40, 60, 80, 100, 120, 200])
    func lineFitsWidth(width: Int) {
        let line = ProgressFormat.line(Self.snapshot, width: width)
        #expect(ProgressFormat.displayWidth(line) <= width - 1, "\(line)")
        #expect(!line.contains("\n") && !line.contains("\r"))
        if width >= 200 {
            for part in ["[12:34]", "46.4%", "1234/5678 files", "1.2 GiB/", "2.6 GiB", "in ", "out ", "ETA ", "2 errors", "file.swift"] {
                #expect(line.contains(part), "missing \(part): \(line)")
            }
        }
        if width >= 120 {
            #expect(line.hasPrefix("[12:34]  46.4%"), "\(line)")
        }
        if width >= 40 {
            #expect(line.contains("46.4%") && line.contains("2 errors"), "\(line)")
        }
    }

    @Test("narrow terminals drop the rates before the error count")
    func narrowKeepsErrors() {
        let line = ProgressFormat.line(Self.snapshot, width: 60)
        #expect(line.contains("2 errors"), "\(line)")
        #expect(!line.contains("out "), "\(line)")
    }

    @Test("a hostile path cannot move the cursor: control characters are escaped")
    func hostilePath() {
        var snapshot = Self.snapshot
        snapshot.currentPath = Array("evil\r\u{1B}[2Jname\n".utf8)
        let line = ProgressFormat.line(snapshot, width: 200)
        #expect(!line.contains("\u{1B}") && !line.contains("\r") && !line.contains("\n"))
        #expect(line.contains("evil\\r\\x1b[2Jname\\n"))
    }

    @Test("snapshot arithmetic: percent, rates, ETA only after 1%")
    func snapshotArithmetic() {
        let snapshot = ProgressSnapshot(elapsed: 10, filesDone: 1, filesTotal: 4, bytesDone: 500, bytesTotal: 1000, bytesOut: 100)
        #expect(snapshot.percentDone == 50)
        #expect(snapshot.inputRate == 50)
        #expect(snapshot.outputRate == 10)
        #expect(snapshot.secondsRemaining == 10)
        let early = ProgressSnapshot(elapsed: 10, filesDone: 0, filesTotal: 4, bytesDone: 5, bytesTotal: 1000)
        #expect(early.secondsRemaining == nil)
        let empty = ProgressSnapshot(elapsed: 0, filesDone: 0, filesTotal: 0, bytesDone: 0, bytesTotal: 0)
        #expect(empty.percentDone == 0 && empty.inputRate == nil)
    }

    @Test("events: message_type first, no nulls, one line, snake_case keys, round trip")
    func eventEncoding() throws {
        var summary = SindriEvent.Summary(command: "backup", dryRun: true, exitCode: 3)
        summary.files = 2
        summary.totalBytes = 1 << 40
        let events: [SindriEvent] = [
            Self.snapshot.statusEvent(command: "backup"),
            .item(SindriEvent.Item(action: "include", path: "a\\nb", type: "file", rule: "selected", size: 5)),
            .warning(SindriEvent.Warning(message: "named pipe (FIFO) skipped", path: "p")),
            .summary(summary),
            .exitError(SindriEvent.ExitError(code: 64, message: "bad", errorCode: "invalidArgument")),
        ]
        for event in events {
            let line = try event.jsonLine()
            let text = String(decoding: line, as: UTF8.self)
            #expect(text.hasPrefix("{\"message_type\":\"\(event.messageType.rawValue)\""), "\(text)")
            #expect(text.hasSuffix("}\n") && text.filter { $0 == "\n" }.count == 1)
            #expect(!text.contains("null"))
            #expect(try SindriEvent.decode(line: line.dropLast()) == event)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
            #expect(object.keys.allSatisfy { $0 == $0.lowercased() }, "snake_case keys: \(object.keys)")
        }
        let summaryText = String(decoding: try SindriEvent.summary(summary).jsonLine(), as: UTF8.self)
        #expect(summaryText.contains("\"dry_run\":true") && summaryText.contains("\"total_bytes\":1099511627776"))
    }
}
