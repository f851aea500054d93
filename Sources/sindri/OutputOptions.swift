import ArgumentParser

/// When the progress line is drawn.
enum ProgressMode: String, ExpressibleByArgument, CaseIterable {
    /// When standard error is a terminal whose TERM is not `dumb`, and neither `-q` nor `--json` is given.
    case auto
    /// Always, even into a pipe or a file (for `script` recordings and CI logs that render `\r`).
    case always
    /// Never.
    case never
}

/// The output options every command shares: `--json`, `-q`, `-v`, `--progress`.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: ArgumentHelp(
        "Write JSON Lines instead of text: one object per line with a message_type (status, item, warning, summary, exit_error).",
        discussion: "The stream is standard output, or standard error when standard output carries the archive (backup -o -). Nothing else is written to that stream."))
    var json = false

    @Flag(name: [.short, .long], help: "Print only warnings and errors: no progress line, no summary; with --json, no status messages.")
    var quiet = false

    @Flag(name: [.short, .long], help: "Report each path (with --json, one item message per path).")
    var verbose = false

    @Option(name: .long, help: "Progress line on standard error: auto (when it is a terminal), always, never.")
    var progress: ProgressMode = .auto
}

/// The output options of `list` and `verify`: those of every command, with `-v` accepted but
/// not offered, since there is nothing more to say (list always prints every member in the long
/// format, like `tar -tv`; verify's report always names every check).
struct ArchiveReadingOutputOptions: ParsableArguments {
    @Flag(name: .long, help: ArgumentHelp(
        "Write JSON Lines instead of text: one object per line with a message_type (status, item, warning, summary, exit_error).",
        discussion: "The stream is standard output. Nothing else is written to it."))
    var json = false

    @Flag(name: [.short, .long], help: "Print only warnings and errors: no progress line, no summary; with --json, no status messages.")
    var quiet = false

    /// Accepted so that scripts written for other commands keep working; changes nothing.
    @Flag(name: [.short, .long], help: .hidden)
    var verbose = false

    @Option(name: .long, help: "Progress line on standard error: auto (when it is a terminal), always, never.")
    var progress: ProgressMode = .auto

    /// The same choices as the shared options.
    var shared: OutputOptions {
        var options = OutputOptions()
        options.json = json
        options.quiet = quiet
        options.verbose = false
        options.progress = progress
        return options
    }
}
