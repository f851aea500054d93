import Foundation
import SindriBackup

/// The output formats of `sindri bench`.
public enum BenchFormat: String, Sendable, CaseIterable {
    case text, json, csv, markdown
}

extension BenchReport {
    /// The report in `format`, ending with a newline.
    public func formatted(_ format: BenchFormat) throws -> String {
        switch format {
        case .text: return text()
        case .json: return try json()
        case .csv: return csv()
        case .markdown: return markdown()
        }
    }

    /// Pretty, key-sorted JSON with raw numbers.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
    }

    /// A table in the manner of `zstd -b -q`: `level#codec : input -> output (xratio), comp MB/s, decomp MB/s`.
    public func text() -> String {
        var lines: [String] = []
        lines.append("sindri bench: \(tree) (\(treeSource), profile \(profile))")
        lines.append("  \(files) files, \(ProgressFormat.bytes(contentBytes)) content, \(tarBytes) bytes of tar stream; "
            + "\(workers) workers on \(cores) cores; median of \(repeats) run\(repeats == 1 ? "" : "s")")
        let estimate = alreadyCompressed
        lines.append("  already compressed: ~\(Self.fixed(estimate.compressedFraction * 100, 1))% of content bytes "
            + "(\(estimate.compressedFiles) of \(estimate.sampledFiles) sampled files of 4 KiB or more; first 64 KiB deflating to > 95%)")
        lines.append("")
        for row in rows {
            let name = row.codec == "gzip" ? "\(row.level)#gzip" : "lz4#lz4"
            lines.append(
                Self.pad(name, 7) + " :" + Self.pad("\(row.inputBytes)", 12) + " ->" + Self.pad("\(row.outputBytes)", 12)
                    + " (x" + Self.fixed(row.ratio, 3) + ")," + Self.pad(Self.fixed(row.compressMBPerSecond, 1), 8) + " MB/s,"
                    + Self.pad(Self.fixed(row.decompressMBPerSecond, 1), 8) + " MB/s,  cpu "
                    + Self.fixed(row.compressCPUSeconds, 2) + " s / " + Self.fixed(row.decompressCPUSeconds, 2) + " s,  rss "
                    + ProgressFormat.bytes(row.peakResidentBytes)
                    + (row.bytesIdenticalAcrossRuns ? "" : "  (bytes differed between runs!)"))
        }
        lines.append("")
        for note in notes { lines.append("note: " + note) }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One header line, then one line per row, raw numbers.
    public func csv() -> String {
        var lines = ["codec,level,input_bytes,output_bytes,ratio,compress_seconds,compress_mb_per_s,decompress_seconds,"
            + "decompress_mb_per_s,compress_cpu_seconds,decompress_cpu_seconds,peak_rss_bytes,bytes_identical_across_runs"]
        for row in rows {
            lines.append([
                row.codec, "\(row.level)", "\(row.inputBytes)", "\(row.outputBytes)", "\(row.ratio)",
                "\(row.compressSeconds)", "\(row.compressMBPerSecond)", "\(row.decompressSeconds)", "\(row.decompressMBPerSecond)",
                "\(row.compressCPUSeconds)", "\(row.decompressCPUSeconds)", "\(row.peakResidentBytes)", "\(row.bytesIdenticalAcrossRuns)",
            ].joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A GitHub-flavoured Markdown table with the context above it.
    public func markdown() -> String {
        var lines = [
            "**sindri bench** on `\(tree)` (\(treeSource), profile `\(profile)`): \(files) files, "
                + "\(ProgressFormat.bytes(contentBytes)) content, \(tarBytes) bytes of tar stream; "
                + "~\(Self.fixed(alreadyCompressed.compressedFraction * 100, 1))% already compressed; "
                + "\(workers) workers on \(cores) cores; median of \(repeats).",
            "",
            "| codec | level | output bytes | ratio | compress MB/s | decompress MB/s | CPU s (c/d) | peak RSS |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for row in rows {
            lines.append("| \(row.codec) | \(row.label) | \(row.outputBytes) | \(Self.fixed(row.ratio, 3)) | "
                + "\(Self.fixed(row.compressMBPerSecond, 1)) | \(Self.fixed(row.decompressMBPerSecond, 1)) | "
                + "\(Self.fixed(row.compressCPUSeconds, 2)) / \(Self.fixed(row.decompressCPUSeconds, 2)) | "
                + "\(ProgressFormat.bytes(row.peakResidentBytes)) |")
        }
        lines.append("")
        for note in notes { lines.append("- " + note) }
        return lines.joined(separator: "\n") + "\n"
    }

    static func fixed(_ value: Double, _ decimals: Int) -> String {
        String(format: "%.\(decimals)f", value)
    }

    static func pad(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }
}
