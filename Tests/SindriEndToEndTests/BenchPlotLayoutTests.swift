import Foundation
import SindriBackup
import SindriReporting
import Testing

/// The bench plot as a picture: labels apart, a legend, axes fitted to the data, the default
/// level marked, and a decompression panel.
@Suite("bench plot layout")
struct BenchPlotLayoutTests {
    /// Levels 6-9 nearly on top of each other, as a real home measures them; x data ends at ~270.
    static func report() throws -> BenchReport {
        let rows: [(String, Int, Double, Double, Double)] = [
            ("gzip", 1, 3.05, 270, 610), ("gzip", 2, 3.12, 250, 620), ("gzip", 3, 3.18, 230, 625),
            ("gzip", 4, 3.30, 180, 640), ("gzip", 5, 3.36, 150, 650), ("gzip", 6, 3.41, 120, 655),
            ("gzip", 7, 3.42, 110, 657), ("gzip", 8, 3.43, 95, 658), ("gzip", 9, 3.43, 90, 659),
            ("lz4", 0, 2.20, 260, 900),
        ]
        let objects = rows.map { row -> [String: Any] in
            [
                "codec": row.0, "level": row.1, "label": row.0 == "gzip" ? "\(row.1)" : "lz4",
                "input_bytes": 1_000_000, "output_bytes": Int(1_000_000 / row.2), "ratio": row.2,
                "compress_seconds": 1.0, "compress_mb_per_s": row.3, "decompress_seconds": 1.0,
                "decompress_mb_per_s": row.4, "compress_cpu_seconds": 1.0, "decompress_cpu_seconds": 1.0,
                "peak_rss_bytes": 1, "compress_runs": [1.0], "decompress_runs": [1.0], "bytes_identical_across_runs": true,
            ]
        }
        let report: [String: Any] = [
            "tree": "/t", "tree_source": "--home", "profile": "standard", "files": 1, "members": 1, "content_bytes": 1_000_000,
            "tar_bytes": 1_000_000, "repeats": 3, "workers": 2, "cores": 2, "tool_version": "t", "started_at": "2026-01-01T00:00:00Z",
            "rows": objects, "notes": [],
            "already_compressed": ["files": 0, "bytes": 0, "sampled_files": 0, "sampled_bytes": 0, "compressed_files": 0, "compressed_bytes": 0],
        ]
        return try JSONDecoder().decode(BenchReport.self, from: JSONSerialization.data(withJSONObject: report))
    }

    struct TextElement { var x: Double; var y: Double; var text: String; var fill: String? }

    static func texts(_ svg: String) -> [TextElement] {
        let pattern = /<text x="([0-9.\-]+)" y="([0-9.\-]+)"(?: fill="(#[0-9a-f]+)")?[^>]*>([^<]*)<\/text>/
        return svg.matches(of: pattern).map { match in
            TextElement(x: Double(match.1)!, y: Double(match.2)!, text: String(match.4), fill: match.3.map(String.init))
        }
    }

    @Test("point labels never overlap, even for levels 6-9 bunched together")
    func labelsApart() throws {
        let svg = BenchPlot.svg(try Self.report())
        let labels = Self.texts(svg).filter { $0.fill != nil }
        #expect(labels.count == 20, "two panels of 10 labels: \(labels.map(\.text))")
        // A label is drawn about 7 px per character wide and 12 px tall, baseline at y.
        func box(_ label: TextElement) -> (Double, Double, Double, Double) {
            (label.x, label.y - 11, label.x + Double(label.text.count) * 7, label.y + 3)
        }
        for (index, a) in labels.enumerated() {
            for b in labels[(index + 1)...] {
                let (ax0, ay0, ax1, ay1) = box(a), (bx0, by0, bx1, by1) = box(b)
                #expect(!(ax0 < bx1 && bx0 < ax1 && ay0 < by1 && by0 < ay1), "\(a.text) overlaps \(b.text)")
            }
        }
    }

    @Test("a legend, the default level marked, a decompression panel, x axes that end near the data")
    func furniture() throws {
        let svg = BenchPlot.svg(try Self.report())
        let texts = Self.texts(svg).map(\.text)
        #expect(texts.contains("gzip level N (LN)") && texts.contains("lz4") && texts.contains("default level"))
        #expect(texts.contains("L6 (default)"))
        #expect(texts.contains { $0.hasPrefix("decompression throughput") } && texts.contains { $0.hasPrefix("compression throughput") })
        // Tick labels are the plain numbers; the compression axis must stop below 400 (data ends at 270).
        // The compression panel's x ticks come first, rising from 0.
        let numbers = texts.compactMap(Double.init)
        var ticks: [Double] = []
        for value in numbers { if let last = ticks.last, value <= last { break }; ticks.append(value) }
        #expect(ticks.contains(250) || ticks.contains(300), "\(ticks)")
        #expect(!ticks.contains(500) && !ticks.contains(400), "the x axis runs far past the data: \(ticks)")
        #expect(svg.contains("median of 3 runs"))
        if let directory = ProcessInfo.processInfo.environment["SINDRI_PLOT_OUT"] {
            try svg.write(toFile: directory + "/bench-plot.svg", atomically: true, encoding: .utf8)
        }
    }
}
