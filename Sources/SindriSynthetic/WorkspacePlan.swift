/// The complete, ordered description of a synthetic home before any byte is written.
///
/// Planning is pure (names, sizes, modes and timestamps only); `WorkspaceWriter` turns the plan into files.
/// Parents always precede their children, and a hard link or symlink follows its target.
struct WorkspacePlan: Sendable {
    /// Entries in creation order.
    var entries: [PlannedEntry] = []
}

/// One path of the plan, relative to the home root.
struct PlannedEntry: Sendable {
    /// Relative path with `/` separators and no leading slash.
    var path: String
    /// What to create at `path`.
    var kind: PlannedEntryKind
    /// Permission bits applied with `fchmod`/`chmod`, so the process umask does not matter.
    var mode: UInt32
    /// Modification time applied with `utimensat`.
    var modificationTime: PlannedTimestamp
}

/// The kinds of filesystem objects a synthetic home contains.
enum PlannedEntryKind: Sendable {
    /// A directory, possibly left empty on purpose.
    case directory
    /// A regular file whose `size` bytes come from `content` seeded with `seed`.
    case file(content: ContentKind, size: Int, seed: UInt64)
    /// A relative symbolic link.
    case symlink(target: String)
    /// A second name for the regular file at `existingPath` (a path of the same plan).
    case hardLink(existingPath: String)
}

/// A fixed modification time (seconds and nanoseconds since the epoch).
struct PlannedTimestamp: Sendable, Hashable {
    var seconds: Int
    var nanoseconds: Int
}

/// What the bytes of a planned file look like; each kind has a generator with a realistic compression ratio.
enum ContentKind: Sendable, Hashable {
    /// Program text in a language (compresses roughly 4-6x with gzip -6).
    case source(TextLanguage)
    /// A JSON document (configs, lock files, Claude settings).
    case json(JSONFlavor)
    /// Machine-code-like binaries (code, string tables, tables, padding): deflate shrinks them about 2.5-3x.
    case executable(ExecutableFormat)
    /// Already-compressed payload: random bytes after a realistic header.
    case opaque(OpaqueFormat)
    /// Exactly these bytes (dotfiles, markers, small scripts).
    case literal([UInt8])

    /// Whether the content is already compressed (counted in `incompressibleBytes`).
    var isIncompressible: Bool {
        if case .opaque = self { return true }
        return false
    }
}

/// The flavours of generated JSON.
enum JSONFlavor: Sendable, Hashable {
    /// Nested settings objects (tsconfig, VS Code settings, app configs).
    case settings
    /// An npm `package-lock.json` with registry URLs and integrity hashes.
    case packageLock
}

/// Container formats of machine-code-like files; only the header differs.
enum ExecutableFormat: Sendable, Hashable {
    case elf
    case pythonBytecode
    case rustLibrary
    case gitIndex
}

/// Formats of already-compressed files.
enum OpaqueFormat: Sendable, Hashable {
    case png
    case jpeg
    case gitPack
    case gitPackIndex
    case gitLooseObject
    case gzipArchive
    case zipArchive
}
