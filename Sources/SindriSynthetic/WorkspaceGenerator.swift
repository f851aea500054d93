#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Generates deterministic, realistic developer homes for tests, benchmarks and `sindri bench --synthetic`.
///
/// The layout follows a developer home's usual layout: `workspace/projects/*` with sources, configs, `.git` packs and
/// images; `workspace/{config,scripts,bin}`; `.claude`, `.ssh`, dotfiles, `.config`, `.local`; the system markers;
/// and the always-excluded folders (`.cache`, mise installs, `node_modules`, `.venv`, `__pycache__`,
/// `target/debug`, `dist`, `build`). The same spec always gives byte-identical trees, modes and timestamps.
public enum WorkspaceGenerator {
    /// Generates the home described by `spec` into `root`, which must be missing or an empty directory.
    ///
    /// Writes with `open`/`write`/`fchmod`/`futimens` on a few threads, then sets directory times with `utimensat`.
    /// The call blocks until the tree is complete (seconds per GiB): from async code, run it on a dedicated thread
    /// rather than on the cooperative pool.
    /// - Throws: `SyntheticWorkspaceError` (`.destinationNotEmpty`, `.invalidSpec`, or `.systemCallFailed` with
    ///   the path, call and errno).
    public static func generate(_ spec: WorkspaceSpec, at root: String) throws -> GeneratedWorkspace {
        guard spec.totalBytes >= 0, (spec.smallFilesOnly ?? 0) >= 0 else {
            throw SyntheticWorkspaceError(code: .invalidSpec, path: root)
        }
        try prepareEmptyDirectory(root)
        let plan = WorkspacePlanner.makePlan(for: spec)
        let figures = plan.figures(root: root)
        let executableBytes = plan.entries.reduce(Int64(0)) { total, entry in
            if case .file(.executable, let size, _) = entry.kind { return total + Int64(size) }
            return total
        }
        // Whole cycles of section kinds (20 segments each), at most 7.5 MiB: enough variety, cheap to build.
        let segments = Int(min(max(executableBytes / Int64(ExecutableContent.segmentSize) / 8, 20), 120)) / 20 * 20
        let writer = WorkspaceWriter(root: root, renderer: ContentRenderer(seed: spec.seed, executablePoolSegments: segments))
        try writer.write(plan)
        var rng = Xoshiro256StarStar(seed: spec.seed, stream: 2)
        try writer.setRootTime(PlannedTimestamp(seconds: 1_767_225_600 - rng.below(86_400), nanoseconds: 0))
        return figures
    }

    private static func prepareEmptyDirectory(_ root: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory) {
            let contents = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? ["?"]
            guard isDirectory.boolValue, contents.isEmpty else {
                throw SyntheticWorkspaceError(code: .destinationNotEmpty, path: root)
            }
            return
        }
        if mkdir(root, 0o755) == 0 { return }
        var code = errno
        if code == ENOENT {
            // Missing parents are created like `mkdir -p`; the root itself is then created once more to get an errno.
            let parent = (root as NSString).deletingLastPathComponent
            try? FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
            if mkdir(root, 0o755) == 0 { return }
            code = errno
        }
        throw SyntheticWorkspaceError(code: .systemCallFailed, path: root, call: "mkdir", errno: code)
    }
}

extension WorkspacePlan {
    /// Counts and byte totals of the plan, as `GeneratedWorkspace` reports them.
    func figures(root: String) -> GeneratedWorkspace {
        var files = 0
        var directories = 0
        var symlinks = 0
        var total: Int64 = 0
        var incompressible: Int64 = 0
        var excluded: Int64 = 0
        for entry in entries {
            switch entry.kind {
            case .directory:
                directories += 1
            case .symlink:
                symlinks += 1
            case .hardLink:
                files += 1
            case .file(let content, let size, _):
                files += 1
                total += Int64(size)
                if content.isIncompressible { incompressible += Int64(size) }
                if AlwaysExcludedPaths.contains(entry.path) { excluded += Int64(size) }
            }
        }
        return GeneratedWorkspace(
            root: root, fileCount: files, directoryCount: directories, symlinkCount: symlinks, totalBytes: total,
            incompressibleBytes: incompressible, excludedBytes: excluded)
    }
}
