import Foundation
import SindriBackup

/// An SVG plot of a bench report: two panels, compression and decompression throughput (x)
/// against ratio (y), one labelled point per setting, so the level that buys the most ratio per
/// MB/s stands out, and what it costs to read back.
///
/// Labels are placed where they overlap neither another label nor a point (levels 6-9 often sit
/// close together); a label pushed away from its point gets a thin leader line. The default gzip
/// level is ringed, a legend tells gzip from lz4, and each x axis ends just past its data.
public enum BenchPlot {
    /// The level `sindri backup` uses when none is given (`ArchiveConfig.compressionLevel`); ringed on the plot.
    public static let defaultLevel = 6

    /// The plot as a standalone SVG document.
    public static func svg(_ report: BenchReport, width: Int = 960, height: Int = 460) -> String {
        let title = "sindri bench: ratio against throughput (\(report.profile), \(ProgressFormat.bytes(report.contentBytes)), median of \(report.repeats) run\(report.repeats == 1 ? "" : "s"))"
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="20" y="24" font-size="14" font-weight="bold">\(escape(title))</text>

            """
        // The shared ratio axis spans the points with a margin, on tenths, so close levels stay apart.
        let ratios = report.rows.map(\.ratio)
        let lowest = ratios.min() ?? 1, highest = ratios.max() ?? 1
        let margin = max(highest - lowest, 0.1) * 0.12
        let yMin = max(0, ((lowest - margin) * 10).rounded(.down) / 10)
        let yMax = max(((highest + margin) * 10).rounded(.up) / 10, yMin + 0.1)
        let gap = 50.0
        let panelWidth = (Double(width) - 70 - 20 - gap) / 2
        let panels: [(String, KeyPath<BenchRow, Double>)] = [
            ("compression throughput (MB/s of tar stream)", \.compressMBPerSecond),
            ("decompression throughput (MB/s of tar stream)", \.decompressMBPerSecond),
        ]
        for (index, panel) in panels.enumerated() {
            let frame = Frame(left: 70 + Double(index) * (panelWidth + gap), top: 64, width: panelWidth,
                              height: Double(height) - 64 - 60, yMin: yMin, yMax: yMax,
                              xMax: axisEnd(report.rows.map { $0[keyPath: panel.1] }))
            svg += panelSVG(report.rows, frame: frame, x: panel.1, title: panel.0, showsRatioLabel: index == 0)
        }
        svg += legend(x: Double(width) - 330, y: 40)
        svg += "</svg>\n"
        return svg
    }

    /// The drawing area of one panel and its axis ranges.
    struct Frame {
        var left, top, width, height, yMin, yMax, xMax: Double
        func px(_ x: Double) -> Double { left + x / xMax * width }
        func py(_ y: Double) -> Double { top + height - (y - yMin) / (yMax - yMin) * height }
    }

    private static func panelSVG(_ rows: [BenchRow], frame: Frame, x: KeyPath<BenchRow, Double>, title: String, showsRatioLabel: Bool) -> String {
        var svg = ""
        let step = tickStep(frame.xMax)
        var tick = 0.0
        while tick <= frame.xMax + step / 1000 {
            svg += "<line x1=\"\(f(frame.px(tick)))\" y1=\"\(f(frame.top))\" x2=\"\(f(frame.px(tick)))\" y2=\"\(f(frame.top + frame.height))\" stroke=\"#e0e0e0\"/>\n"
            svg += "<text x=\"\(f(frame.px(tick)))\" y=\"\(f(frame.top + frame.height + 18))\" text-anchor=\"middle\">\(tickText(tick))</text>\n"
            tick += step
        }
        for index in 0...5 {
            let y = frame.yMin + (frame.yMax - frame.yMin) * Double(index) / 5
            svg += "<line x1=\"\(f(frame.left))\" y1=\"\(f(frame.py(y)))\" x2=\"\(f(frame.left + frame.width))\" y2=\"\(f(frame.py(y)))\" stroke=\"#e0e0e0\"/>\n"
            svg += "<text x=\"\(f(frame.left - 8))\" y=\"\(f(frame.py(y) + 4))\" text-anchor=\"end\">\(String(format: "%.2f", y))</text>\n"
        }
        svg += "<rect x=\"\(f(frame.left))\" y=\"\(f(frame.top))\" width=\"\(f(frame.width))\" height=\"\(f(frame.height))\" fill=\"none\" stroke=\"#333\"/>\n"
        svg += "<text x=\"\(f(frame.left + frame.width / 2))\" y=\"\(f(frame.top + frame.height + 40))\" text-anchor=\"middle\">\(escape(title))</text>\n"
        if showsRatioLabel {
            svg += "<text transform=\"translate(18 \(f(frame.top + frame.height / 2))) rotate(-90)\" text-anchor=\"middle\">ratio (tar bytes / output bytes)</text>\n"
        }
        let points = rows.map { row in
            PlacedPoint(x: frame.px(row[keyPath: x]), y: frame.py(row.ratio), row: row,
                        label: row.codec == "gzip" ? "L\(row.label)\(row.level == defaultLevel ? " (default)" : "")" : row.label)
        }
        let labels = placeLabels(points, within: frame)
        for (point, label) in zip(points, labels) {
            let color = point.row.codec == "gzip" ? gzipColor : lz4Color
            let tooltip = "\(point.row.codec) \(point.row.label): x\(String(format: "%.3f", point.row.ratio)), \(String(format: "%.1f", point.row[keyPath: x])) MB/s"
            if point.row.codec == "gzip" {
                svg += "<circle cx=\"\(f(point.x))\" cy=\"\(f(point.y))\" r=\"5\" fill=\"\(color)\"><title>\(escape(tooltip))</title></circle>\n"
            } else {
                svg += "<rect x=\"\(f(point.x - 5))\" y=\"\(f(point.y - 5))\" width=\"10\" height=\"10\" fill=\"\(color)\"><title>\(escape(tooltip))</title></rect>\n"
            }
            if point.row.codec == "gzip", point.row.level == defaultLevel {
                svg += "<circle cx=\"\(f(point.x))\" cy=\"\(f(point.y))\" r=\"9\" fill=\"none\" stroke=\"#333\" stroke-width=\"1.5\"/>\n"
            }
            if label.needsLeader {
                svg += "<line x1=\"\(f(point.x))\" y1=\"\(f(point.y))\" x2=\"\(f(label.anchorX))\" y2=\"\(f(label.anchorY))\" stroke=\"#999\" stroke-width=\"0.8\"/>\n"
            }
            svg += "<text x=\"\(f(label.box.x))\" y=\"\(f(label.box.y + label.box.height - 3))\" fill=\"\(color)\">\(escape(point.label))</text>\n"
        }
        return svg
    }

    private static let gzipColor = "#1f77b4"
    private static let lz4Color = "#d62728"

    private static func legend(x: Double, y: Double) -> String {
        """
        <circle cx="\(f(x))" cy="\(f(y))" r="5" fill="\(gzipColor)"/><text x="\(f(x + 10))" y="\(f(y + 4))">gzip level N (LN)</text>
        <rect x="\(f(x + 125))" y="\(f(y - 5))" width="10" height="10" fill="\(lz4Color)"/><text x="\(f(x + 140))" y="\(f(y + 4))">lz4</text>
        <circle cx="\(f(x + 185))" cy="\(f(y))" r="9" fill="none" stroke="#333" stroke-width="1.5"/><text x="\(f(x + 200))" y="\(f(y + 4))">default level</text>

        """
    }

    struct PlacedPoint {
        var x: Double
        var y: Double
        var row: BenchRow
        var label: String
    }

    struct Box {
        var x, y, width, height: Double
        func overlaps(_ other: Box) -> Bool {
            x < other.x + other.width && other.x < x + width && y < other.y + other.height && other.y < y + height
        }
    }

    struct Label {
        var box: Box
        var anchorX: Double
        var anchorY: Double
        var needsLeader: Bool
    }

    /// Places each label at the first candidate position (right, above, left, below, then further
    /// out) that stays inside the panel and overlaps no point and no label placed before it.
    static func placeLabels(_ points: [PlacedPoint], within frame: Frame) -> [Label] {
        var placed: [Box] = []
        // The default level's ring is wider than a point.
        let pointBoxes = points.map { point -> Box in
            let radius = point.row.codec == "gzip" && point.row.level == defaultLevel ? 10.0 : 6.0
            return Box(x: point.x - radius, y: point.y - radius, width: 2 * radius, height: 2 * radius)
        }
        var labels: [Label] = []
        for point in points {
            let width = Double(point.label.count) * 7 + 2
            let height = 14.0
            var chosen: Label?
            let ringed = point.row.codec == "gzip" && point.row.level == defaultLevel
            search: for distance in ringed ? [12.0, 20, 34, 50, 70, 95] : [8.0, 20, 34, 50, 70, 95] {
                let near = distance <= 12
                let candidates: [(Double, Double)] = [
                    (point.x + distance, point.y - height / 2), (point.x + distance, point.y - height - distance / 2),
                    (point.x + distance, point.y + distance / 2), (point.x - width / 2, point.y - height - distance),
                    (point.x - width / 2, point.y + distance), (point.x - distance - width, point.y - height / 2),
                    (point.x - distance - width, point.y - height - distance / 2), (point.x - distance - width, point.y + distance / 2),
                ]
                for (x, y) in candidates {
                    let box = Box(x: x, y: y, width: width, height: height)
                    guard box.x >= frame.left + 2, box.x + box.width <= frame.left + frame.width - 2,
                          box.y >= frame.top + 2, box.y + box.height <= frame.top + frame.height - 2 else { continue }
                    if placed.contains(where: box.overlaps) || pointBoxes.contains(where: box.overlaps) { continue }
                    let anchorX = min(max(point.x, box.x), box.x + box.width)
                    let anchorY = min(max(point.y, box.y), box.y + box.height)
                    chosen = Label(box: box, anchorX: anchorX, anchorY: anchorY, needsLeader: !near)
                    break search
                }
            }
            let label = chosen ?? Label(box: Box(x: point.x + 8, y: point.y - 20, width: width, height: height),
                                        anchorX: point.x + 8, anchorY: point.y - 6, needsLeader: false)
            placed.append(label.box)
            labels.append(label)
        }
        return labels
    }

    /// The end of an x axis: just past the largest value, on a tick step.
    static func axisEnd(_ values: [Double]) -> Double {
        let largest = max(values.max() ?? 1, 1e-9) * 1.06
        let step = tickStep(largest)
        return (largest / step).rounded(.up) * step
    }

    /// A 1, 2, 2.5 or 5 times a power of ten that cuts `span` into 4 to 8 ticks.
    static func tickStep(_ span: Double) -> Double {
        guard span > 0 else { return 1 }
        let raw = span / 6
        let magnitude = pow(10, log10(raw).rounded(.down))
        for factor in [1.0, 2.0, 2.5, 5.0, 10.0] where factor * magnitude >= raw { return factor * magnitude }
        return 10 * magnitude
    }

    private static func f(_ value: Double) -> String { String(format: "%.1f", value) }

    private static func tickText(_ value: Double) -> String {
        value >= 10 || value == 0 || value.rounded() == value ? String(format: "%.0f", value) : String(format: "%.1f", value)
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
