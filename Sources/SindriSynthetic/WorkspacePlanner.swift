/// Decides every path, size, mode and timestamp of a synthetic home from a `WorkspaceSpec`. Pure: no I/O.
///
/// The byte budget follows the benchmark brief: of the part a standard-profile backup includes, about 35% is
/// source and text, 25% semi-compressible binaries, 27% already-compressed data and the rest configs; the
/// always-excluded folders add about 15% on top.
struct WorkspacePlanner {
    /// Directory names never drawn at random, because the exclusion patterns give them a meaning.
    static let reservedDirectoryNames: Set<String> = [
        "build", "dist", "target", "debug", "release", "node_modules", "cache", "state",
    ]

    let spec: WorkspaceSpec
    var rng: Xoshiro256StarStar
    private(set) var plan = WorkspacePlan()
    private var directories: Set<String> = []
    private var paths: Set<String> = []
    private var fileCounter: UInt64 = 0

    /// Creates a planner for `spec`.
    init(spec: WorkspaceSpec) {
        self.spec = spec
        rng = Xoshiro256StarStar(seed: spec.seed, stream: 1)
    }

    /// Plans the whole home described by `spec`.
    static func makePlan(for spec: WorkspaceSpec) -> WorkspacePlan {
        var planner = WorkspacePlanner(spec: spec)
        if let count = spec.smallFilesOnly {
            planner.planSmallFiles(count: count)
        } else {
            planner.planHome(totalBytes: max(spec.totalBytes, 0))
        }
        return planner.plan
    }

    // MARK: - Budget

    /// The byte budgets of one home, derived from the requested total.
    struct Budget {
        var source: Int64
        var binaries: Int64
        var compressed: Int64
        var configs: Int64
        var excluded: Int64

        init(total: Int64) {
            let included = total * 100 / 115
            excluded = total - included
            source = included * 35 / 100
            binaries = included * 25 / 100
            compressed = included * 27 / 100
            configs = included - source - binaries - compressed
        }
    }

    mutating func planHome(totalBytes: Int64) {
        let budget = Budget(total: totalBytes)
        let projects = makeProjectDescriptions(budget: budget)
        planSystemMarkers()
        planDotfiles()
        planSSH()
        for project in projects { planProject(project) }
        planWorkspaceExtras(budget: budget, projects: projects)
        planClaude(bytes: budget.configs * 35 / 100, projects: projects)
        planConfigDirectory(bytes: budget.configs * 8 / 100)
        planLocal(binaryBytes: budget.binaries * 20 / 100, excluded: budget.excluded)
        planCache(bytes: budget.excluded * 20 / 100)
    }

    // MARK: - Small files only

    mutating func planSmallFiles(count: Int) {
        let languages: [TextLanguage] = [.swift, .rust, .typeScript, .python, .markdown, .yaml, .go, .shell]
        var remaining = count
        var projectIndex = 0
        while remaining > 0 {
            let project = "workspace/projects/bulk-\(projectIndex)-\(randomWord())"
            projectIndex += 1
            for moduleIndex in 0..<rng.inRange(8...24) where remaining > 0 {
                let module = "\(project)/src/\(randomDirectoryName())-\(moduleIndex)"
                for leafIndex in 0..<rng.inRange(4...16) where remaining > 0 {
                    let leaf = "\(module)/\(randomDirectoryName())-\(leafIndex)"
                    for _ in 0..<min(remaining, rng.inRange(20...120)) {
                        let language = languages[rng.below(languages.count)]
                        let size = SizeSampler.sample(median: 1200, octaves: 1.0, range: 100...4096, rng: &rng)
                        addFile(
                            uniqueName(in: leaf, stem: randomWord(), extension: language.fileExtension),
                            content: .source(language), size: size)
                        remaining -= 1
                    }
                }
            }
        }
    }

    // MARK: - Entry helpers

    /// Adds `path` and any missing parent directories.
    mutating func addDirectory(_ path: String, mode: UInt32 = 0o755) {
        guard !path.isEmpty, !directories.contains(path) else { return }
        if let slash = path.lastIndex(of: "/") { addDirectory(String(path[..<slash])) }
        directories.insert(path)
        paths.insert(path)
        plan.entries.append(PlannedEntry(path: path, kind: .directory, mode: mode, modificationTime: timestamp()))
    }

    /// Adds a regular file (and its parent directories) whose bytes come from `content`.
    mutating func addFile(_ path: String, content: ContentKind, size: Int, mode: UInt32 = 0o644) {
        precondition(!paths.contains(path), "duplicate planned path \(path)")
        if let slash = path.lastIndex(of: "/") { addDirectory(String(path[..<slash])) }
        fileCounter += 1
        var seeder = Xoshiro256StarStar(seed: spec.seed, stream: 0x1_0000_0000 &+ fileCounter)
        paths.insert(path)
        plan.entries.append(
            PlannedEntry(
                path: path, kind: .file(content: content, size: max(size, 0), seed: seeder.next()), mode: mode,
                modificationTime: timestamp()))
    }

    /// Adds a file with fixed text.
    mutating func addText(_ path: String, _ text: String, mode: UInt32 = 0o644) {
        let bytes = Array(text.utf8)
        addFile(path, content: .literal(bytes), size: bytes.count, mode: mode)
    }

    /// Adds a relative symbolic link; `target` is resolved against the link's directory.
    mutating func addSymlink(_ path: String, target: String) {
        precondition(!paths.contains(path), "duplicate planned path \(path)")
        if let slash = path.lastIndex(of: "/") { addDirectory(String(path[..<slash])) }
        paths.insert(path)
        plan.entries.append(
            PlannedEntry(path: path, kind: .symlink(target: target), mode: 0o777, modificationTime: timestamp()))
    }

    /// Adds a second name for the already planned regular file `existingPath`.
    mutating func addHardLink(_ path: String, to existingPath: String) {
        precondition(!paths.contains(path), "duplicate planned path \(path)")
        if let slash = path.lastIndex(of: "/") { addDirectory(String(path[..<slash])) }
        paths.insert(path)
        plan.entries.append(
            PlannedEntry(
                path: path, kind: .hardLink(existingPath: existingPath), mode: 0, modificationTime: timestamp()))
    }

    /// Adds files of `content` with sizes drawn around `median` until exactly `bytes` bytes are planned.
    mutating func fill(
        bytes: Int64, median: Int, octaves: Double = 1.3, range: ClosedRange<Int>, mode: UInt32 = 0o644,
        content: (inout WorkspacePlanner) -> ContentKind, path: (inout WorkspacePlanner, ContentKind) -> String
    ) {
        var remaining = bytes
        while remaining > 0 {
            var size = Int64(SizeSampler.sample(median: median, octaves: octaves, range: range, rng: &rng))
            if remaining - size < Int64(range.lowerBound) { size = remaining }
            let kind = content(&self)
            addFile(path(&self, kind), content: kind, size: Int(size), mode: mode)
            remaining -= size
        }
    }

    /// Returns `directory/stem.ext`, adding `-2`, `-3`... to the stem if the name is taken.
    mutating func uniqueName(in directory: String, stem: String, extension fileExtension: String) -> String {
        let suffix = fileExtension.isEmpty ? "" : ".\(fileExtension)"
        var candidate = "\(directory)/\(stem)\(suffix)"
        var counter = 2
        while paths.contains(candidate) {
            candidate = "\(directory)/\(stem)-\(counter)\(suffix)"
            counter += 1
        }
        return candidate
    }

    /// A modification time between 2024-01-01 and the end of 2025, with nanoseconds.
    mutating func timestamp() -> PlannedTimestamp {
        PlannedTimestamp(seconds: 1_704_067_200 + rng.below(730 * 86_400), nanoseconds: rng.below(1_000_000_000))
    }

    // MARK: - Names

    /// A common programming word.
    mutating func randomWord() -> String {
        Vocabulary.programmingWords[rng.skewed(Vocabulary.programmingWords.count)]
    }

    /// A word usable as a directory name without colliding with the exclusion patterns.
    mutating func randomDirectoryName() -> String {
        while true {
            let word = randomWord()
            if !Self.reservedDirectoryNames.contains(word) { return word }
        }
    }

    /// A file stem in the naming convention of `language`.
    mutating func fileStem(for language: TextLanguage) -> String {
        let first = randomWord()
        let second = rng.chance(55) ? randomWord() : nil
        switch language {
        case .swift:
            return Vocabulary.typeWords[rng.skewed(Vocabulary.typeWords.count)] + (second.map(capitalized) ?? "")
        case .typeScript, .javaScript:
            return first + (second.map(capitalized) ?? "")
        case .markdown, .yaml:
            return first + (second.map { "-" + $0 } ?? "")
        default:
            return first + (second.map { "_" + $0 } ?? "")
        }
    }

    /// A fixed-width lower-case hex string, as in git object names and cache keys.
    mutating func hexString(length: Int) -> String {
        let digits = Array("0123456789abcdef")
        return String((0..<length).map { _ in digits[rng.below(16)] })
    }

    func capitalized(_ word: String) -> String {
        word.prefix(1).uppercased() + word.dropFirst()
    }
}
