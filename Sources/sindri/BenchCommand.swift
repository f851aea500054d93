import ArgumentParser
import Foundation
import SindriArchive
import SindriBackup
import SindriReporting
import SindriSynthetic
import SindriSystem

extension BenchFormat: ExpressibleByArgument {}

/// A list of gzip levels: `1-9`, `1,6,9`, `3`, `1-3,9`.
struct LevelList: ExpressibleByArgument, Sendable {
    let levels: [Int]
    private let text: String

    var defaultValueDescription: String { text }

    init?(argument: String) {
        var levels: [Int] = []
        for part in argument.split(separator: ",") {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
            if bounds.count == 1, let level = Int(bounds[0]) {
                levels.append(level)
            } else if bounds.count == 2, let low = Int(bounds[0]), let high = Int(bounds[1]), low <= high {
                levels.append(contentsOf: low...high)
            } else {
                return nil
            }
        }
        guard !levels.isEmpty, levels.allSatisfy({ (1...9).contains($0) }) else { return nil }
        var seen = Set<Int>()
        self.levels = levels.filter { seen.insert($0).inserted }
        text = argument
    }
}

/// `sindri bench`: compression levels measured on a real or synthetic tree.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure archive size, ratio, speed, CPU and memory of each compression level on a tree.",
        discussion: """
            EXAMPLES:
              sindri bench
                  Levels 1-9 and lz4 on $HOME (profile standard).
              sindri bench --synthetic 200M --repeat 3
                  A generated 200 MiB developer home, median of 3 runs.
              sindri bench --home ~/src --levels 1,6,9 --format markdown
                  Three levels on one tree, as a Markdown table.
              sindri bench --synthetic 1G --format csv > levels.csv
                  Raw numbers for a spreadsheet.
              sindri bench --synthetic 500M --plot levels.svg
                  Also plot ratio against throughput.

            Each gzip level is a real backup of the tree to a temporary file (deleted after), so its byte count equals that of `sindri backup --compression N` on the same tree; the archive is then inflated once to time decompression. The lz4 row compresses the same tar stream as an LZ4 frame. Bytes and ratios are deterministic for a fixed tree; times, CPU and memory are not. The report estimates how much of the tree is already-compressed data, which no level shrinks. The plot has a compression and a decompression panel.
            """
    )

    @Option(name: .long, help: ArgumentHelp("The tree to archive (default: $SINDRI_HOME, else $HOME).", valueName: "dir"),
            completion: .directory)
    var home: String?

    @Option(name: .long, help: ArgumentHelp(
        "Generate a deterministic developer home of this size instead (k, M, G: powers of 1024), deleted after.",
        valueName: "size"))
    var synthetic: SizeArgument?

    @Option(name: .long, help: "Seed of the synthetic tree.")
    var seed: UInt64 = 42

    @Option(name: [.short, .long], help: "Backup profile selecting the tree's files (default: $SINDRI_PROFILE, else standard).")
    var profile: BackupProfile?

    @Option(name: .long, help: ArgumentHelp("gzip levels to measure: 1-9, 1,6,9, 3.", valueName: "levels"))
    var levels: LevelList = LevelList(argument: "1-9")!

    @Option(name: .long, help: ArgumentHelp("Runs per level; the report gives the median (one run is at the mercy of noise).", valueName: "n"))
    var `repeat`: Int = 3

    @Flag(name: .long, help: "Leave out the lz4 row.")
    var noLz4 = false

    @Option(name: .long, help: "Report format: text (like zstd -b), json, csv, markdown (default: text; not with --json, whose summary carries the report).")
    var format: BenchFormat?

    @Option(name: .long, help: ArgumentHelp("Also write an SVG plot of ratio against compression throughput.", valueName: "file"),
            completion: .file(extensions: ["svg"]))
    var plot: String?

    @Option(name: .long, help: ArgumentHelp("Directory for the temporary archives and tree (default: $TMPDIR, else /tmp).", valueName: "dir"),
            completion: .directory)
    var tempDir: String?

    @OptionGroup(title: "Output")
    var outputOptions: OutputOptions

    func validate() throws {
        if home != nil && synthetic != nil { throw ValidationError("--home and --synthetic are mutually exclusive") }
        guard (1...100).contains(`repeat`) else { throw ValidationError("--repeat must be between 1 and 100, got \(`repeat`)") }
        if outputOptions.json, let format {
            throw ValidationError("--format \(format.rawValue) and --json are exclusive: with --json the report is the summary's details")
        }
        if let tempDir {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: tempDir, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("--temp-dir \(tempDir) is not an existing directory")
            }
        }
    }

    func run() async throws {
        let reporter = Reporter(command: "bench", options: outputOptions)
        let options = self
        try await CommandRunner.run(reporter: reporter) {
            try await options.measure(reporter: reporter)
        }
    }

    private func measure(reporter: Reporter) async throws -> ExitStatus {
        let temporary = tempDir ?? SindriEnvironment.value("TMPDIR") ?? "/tmp"
        let profile = try SindriEnvironment.resolveProfile(self.profile)
        let tree: String
        let treeSource: String
        var generatedRoot: String?
        defer { if let generatedRoot { try? FileManager.default.removeItem(atPath: generatedRoot) } }
        if let synthetic {
            let root = temporary + "/sindri-bench-tree-\(getpid())"
            generatedRoot = root
            reporter.phase("generating a \(ProgressFormat.bytes(synthetic.bytes)) synthetic home ...")
            let spec = WorkspaceSpec(totalBytes: Int64(synthetic.bytes), seed: seed)
            do {
                _ = try await BlockingExecutor.shared.run { try WorkspaceGenerator.generate(spec, at: root) }
            } catch let error as SindriError {
                throw error
            } catch {
                throw SindriError(.io, "cannot generate the synthetic tree in \(root): \(error)", path: root)
            }
            tree = root
            treeSource = "--synthetic \(ProgressFormat.bytes(synthetic.bytes)) seed \(seed)"
        } else {
            tree = try SindriEnvironment.resolveHome(home)
            treeSource = "--home"
        }
        var configuration = BenchConfiguration(
            home: tree, treeSource: treeSource, profile: profile, levels: levels.levels, repeats: `repeat`,
            temporaryDirectory: temporary)
        configuration.includeLZ4 = !noLz4
        let ticker = PhaseTicker(reporter: reporter)
        defer { ticker.stop() }
        let report = try await CompressionBench.run(configuration) { step in
            ticker.set(step.number.map { "[\($0)/\(step.total)] \(step.description) ..." } ?? "\(step.description) ...")
        }
        ticker.stop()
        reporter.progressLine?.finish()
        if let plot {
            let svg = BenchPlot.svg(report)
            do {
                try Data(svg.utf8).write(to: URL(fileURLWithPath: plot), options: .atomic)
            } catch {
                throw SindriError(.io, "cannot write the plot to \(plot): \(error)", path: plot)
            }
        }
        for row in report.rows where !row.bytesIdenticalAcrossRuns {
            reporter.warning("\(row.codec) \(row.label): output bytes differed between runs (the tree changed while measuring?)")
        }
        let identical = report.rows.allSatisfy(\.bytesIdenticalAcrossRuns)
        let status: ExitStatus = identical ? .success : .completedWithWarnings
        if reporter.json {
            reporter.emit(report.summaryEvent(exitCode: status.rawValue))
        } else {
            reporter.writeText(try report.formatted(format ?? .text), to: STDOUT_FILENO)
        }
        return status
    }
}
