import ArgumentParser
import SindriBackup

/// Where `restore`, `verify` and `list` look for the bases of an incremental archive (found by
/// checksum; the incremental's own directory is always searched last).
struct ChainOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Look for the bases of an incremental archive in this directory too (repeatable).", valueName: "dir"),
            completion: .directory)
    var baseDir: [String] = []

    @Option(name: .customLong("base"), help: ArgumentHelp("An archive that may be a base of the incremental archive (repeatable).", valueName: "archive"),
            completion: .file(extensions: ["gz", "tgz"]))
    var baseArchives: [String] = []

    var sources: ChainSources { ChainSources(directories: baseDir, archives: baseArchives) }
}
