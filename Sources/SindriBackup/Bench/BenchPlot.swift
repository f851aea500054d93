import Foundation

/// An SVG scatter plot of a bench report: compression throughput (x) against ratio (y), one
/// labelled point per level, so the level that buys the most ratio per MB/s stands out.
public enum BenchPlot {
    /// The plot as a standalone SVG document.
    public static func svg(_ report: BenchReport, width: Int = 720, height: Int = 440) -> String {
        let left = 70.0, right = 30.0, top = 40.0, bottom = 60.0
        let plotWidth = Double(width) - left - right
        let plotHeight = Double(height) - top - bottom
        let points = report.rows.map { (x: $0.compressMBPerSecond, y: $0.ratio, label: $0.label, codec: $0.codec) }
        let xMax = niceCeiling(max(points.map(\.x).max() ?? 1, 1e-9) * 1.08)
        // The ratio axis spans the points with a 10% margin, on tenths, so close levels stay apart.
        let lowest = points.map(\.y).min() ?? 1
        let highest = points.map(\.y).max() ?? 1
        let margin = max(highest - lowest, 0.1) * 0.1
        let yMin = max(0, ((lowest - margin) * 10).rounded(.down) / 10)
        let yMax = max(((highest + margin) * 10).rounded(.up) / 10, yMin + 0.1)
        func px(_ x: Double) -> Double { left + x / xMax * plotWidth }
        func py(_ y: Double) -> Double { top + plotHeight - (y - yMin) / (yMax - yMin) * plotHeight }
        func f(_ value: Double) -> String { String(format: "%.1f", value) }

        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(f(left))" y="22" font-size="14" font-weight="bold">\(escape("sindri bench: ratio vs compression throughput (\(report.profile), \(ProgressFormat.bytes(report.contentBytes)))"))</text>

            """
        // Grid and ticks.
        for index in 0...5 {
            let x = xMax * Double(index) / 5
            svg += "<line x1=\"\(f(px(x)))\" y1=\"\(f(top))\" x2=\"\(f(px(x)))\" y2=\"\(f(top + plotHeight))\" stroke=\"#e0e0e0\"/>\n"
            svg += "<text x=\"\(f(px(x)))\" y=\"\(f(top + plotHeight + 18))\" text-anchor=\"middle\">\(tick(x))</text>\n"
            let y = yMin + (yMax - yMin) * Double(index) / 5
            svg += "<line x1=\"\(f(left))\" y1=\"\(f(py(y)))\" x2=\"\(f(left + plotWidth))\" y2=\"\(f(py(y)))\" stroke=\"#e0e0e0\"/>\n"
            svg += "<text x=\"\(f(left - 8))\" y=\"\(f(py(y) + 4))\" text-anchor=\"end\">\(String(format: "%.2f", y))</text>\n"
        }
        svg += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotWidth))\" height=\"\(f(plotHeight))\" fill=\"none\" stroke=\"#333\"/>\n"
        svg += "<text x=\"\(f(left + plotWidth / 2))\" y=\"\(height - 18)\" text-anchor=\"middle\">compression throughput (MB/s of tar stream)</text>\n"
        svg += "<text transform=\"translate(18 \(f(top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\">ratio (tar bytes / output bytes)</text>\n"
        for point in points {
            let color = point.codec == "gzip" ? "#1f77b4" : "#d62728"
            svg += "<circle cx=\"\(f(px(point.x)))\" cy=\"\(f(py(point.y)))\" r=\"5\" fill=\"\(color)\"><title>\(escape("\(point.codec) \(point.label): x\(String(format: "%.3f", point.y)), \(String(format: "%.1f", point.x)) MB/s"))</title></circle>\n"
            let label = point.codec == "gzip" ? "L\(point.label)" : point.label
            svg += "<text x=\"\(f(px(point.x) + 8))\" y=\"\(f(py(point.y) - 8))\" fill=\"\(color)\">\(escape(label))</text>\n"
        }
        svg += "</svg>\n"
        return svg
    }

    /// The smallest 1, 2 or 5 times a power of ten at or above `value`.
    static func niceCeiling(_ value: Double) -> Double {
        guard value > 0 else { return 1 }
        let magnitude = pow(10, (log10(value)).rounded(.down))
        for step in [1.0, 2.0, 5.0, 10.0] where step * magnitude >= value { return step * magnitude }
        return 10 * magnitude
    }

    private static func tick(_ value: Double) -> String {
        value >= 10 || value == 0 ? String(format: "%.0f", value) : String(format: "%.1f", value)
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
