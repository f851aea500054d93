import Foundation
import SindriArchive
#if canImport(Glibc)
import Glibc
import SindriSystem
#endif

/// What `sindri backup --dry-run` reports: the walk a real backup to the same output would make.
public struct BackupPreview: Sendable {
    /// The members, warnings and (when recorded) decisions.
    public var walk: WalkResult
    /// The archive path the real run would write (nil for standard output).
    public var archivePath: String?
    /// With `--incremental`: the base and what the incremental would hold.
    public var incremental: IncrementalPreview? = nil
}

extension ArchiveBuilder {
    /// Walks the home exactly as `create(home:output:)` would and writes nothing.
    ///
    /// A dry run must end as the real run would, exit status included, so it makes the same
    /// checks first: the home opens, the output's directory exists, a binary stream is not sent
    /// to a terminal, and an archive (and sidecar) already at the output path is left out of the
    /// walk (the real run never archives its own output). Warnings a real run can only meet while reading
    /// files (a file shrinking during the backup) cannot be predicted.
    ///
    /// - Throws: `SindriError` `.invalidArgument` for an unusable home, output or pattern.
    public func preview(home: String, output: BackupOutput) async throws -> BackupPreview {
        let homeDescriptor = try Self.openHome(home)
        defer { close(homeDescriptor) }
        let selection = BackupSelection(profile: config.profile, userRules: try config.exclusions.rules())
        let source = config.source ?? SourceDetector.source(home: home)
        let finalPath = try Self.resolve(output, instanceName: source.instanceName, date: Date())
        if finalPath == nil, isatty(STDOUT_FILENO) == 1 {
            throw SindriError(.invalidArgument, "refusing to write a binary archive to a terminal; redirect stdout or use --output PATH")
        }
        let excluded = Self.outputIdentities(finalPath: finalPath)
        let walker = DirectoryWalker(homeDescriptor: homeDescriptor, selection: selection, options: config.exclusions.walk, excludedFiles: excluded)
        let walk = try await walker.walk()
        let incremental = try await incrementalPreview(walk: walk, output: output, source: source, homeDescriptor: homeDescriptor)
        // An incremental's automatic name says so, as the real run's does.
        var path = finalPath
        if incremental?.base != nil, case .directory = output { path = path.map(Self.incrementalName) }
        return BackupPreview(walk: walk, archivePath: path, incremental: incremental)
    }
}
