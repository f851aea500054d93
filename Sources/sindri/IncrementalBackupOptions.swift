import ArgumentParser
import SindriBackup

/// `backup --incremental`, `--base`, `--rehash`: archive only what changed since a base.
struct IncrementalBackupOptions: ParsableArguments {
    @Flag(name: .long, help: "Archive only what changed since the newest backup of the same source and profile in the output directory (a full backup when there is none).")
    var incremental = false

    @Option(name: .long, help: ArgumentHelp("Make an incremental backup against this archive (implies --incremental).", valueName: "archive"),
            completion: .file(extensions: ["gz", "tgz"]))
    var base: String?

    @Flag(name: .long, help: "Compare files by SHA-256 instead of ctime and inode (reads every file; for filesystems whose ctime cannot be trusted; implies --incremental).")
    var rehash = false

    @Option(name: .long, help: ArgumentHelp(
        "An age identity file to read an encrypted base with; repeatable (default: $SINDRI_IDENTITY_FILE). A passphrase-encrypted base is read with --passphrase's passphrase, else asked for.",
        valueName: "file"), completion: .file())
    var identity: [String] = []

    func validate() throws {
        if !identity.isEmpty && options == nil {
            throw ValidationError("--identity reads an encrypted base: give it with --incremental or --base")
        }
    }

    /// The engine's options, nil for a full backup.
    var options: IncrementalOptions? {
        guard incremental || base != nil || rehash else { return nil }
        return IncrementalOptions(base: base, rehash: rehash)
    }
}
