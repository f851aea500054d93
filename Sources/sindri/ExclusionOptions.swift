import ArgumentParser
import SindriBackup
import SindriSystem

/// What to leave out beyond the profile: patterns, exclude files and walk filters.
struct ExclusionOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Additional exclude pattern, gitignore syntax; !pattern re-includes (repeatable).", valueName: "pattern"))
    var exclude: [String] = []

    @Option(name: .long, help: ArgumentHelp(
        "Read exclude patterns from a file: gitignore syntax, # comments, ! re-includes (repeatable; default: $SINDRI_EXCLUDE_FILE).",
        valueName: "file"), completion: .file())
    var excludeFile: [String] = []

    @Flag(name: .long, help: "Skip the contents of directories holding a valid CACHEDIR.TAG (the tag itself is kept).")
    var excludeCaches = false

    @Option(name: .long, help: ArgumentHelp("Skip directories that contain a file with this name (repeatable).", valueName: "name"))
    var excludeIfPresent: [String] = []

    @Option(name: .long, help: ArgumentHelp("Skip files larger than this size (k, M, G, T are powers of 1024).", valueName: "size"))
    var excludeLargerThan: SizeArgument?

    @Flag(name: [.customShort("x"), .long], help: "Stay on the home's filesystem: mount points are archived as empty directories.")
    var oneFileSystem = false

    /// The exclusion configuration, exclude files read (the flags, else `SINDRI_EXCLUDE_FILE`).
    ///
    /// - Throws: `SindriError` `.invalidArgument` for an unreadable file or a bad pattern.
    func configuration(recordDecisions: Bool) throws -> ExclusionConfig {
        var config = ExclusionConfig(patterns: exclude)
        for path in SindriEnvironment.resolveExcludeFiles(excludeFile) {
            config.fileRules.append(contentsOf: try ExclusionConfig.rules(fromFile: path))
        }
        config.walk.excludeCaches = excludeCaches
        config.walk.excludeIfPresent = excludeIfPresent
        config.walk.excludeLargerThan = excludeLargerThan?.bytes
        config.walk.oneFileSystem = oneFileSystem
        config.walk.recordDecisions = recordDecisions
        return config
    }
}
