/// How far a restore has come. In the reading phase (stage 1, all of `verify`): file content
/// bytes done against the manifest's `total_size_bytes`, files done against its `files_included`;
/// later phases only announce themselves.
public struct RestoreProgress: Sendable, Equatable {
    public var phase: RestorePhase
    public var filesDone: Int
    public var filesTotal: Int
    public var bytesDone: UInt64
    public var bytesTotal: UInt64
    /// The member being read, as raw bytes.
    public var currentPath: [UInt8]

    public init(
        phase: RestorePhase = .reading, filesDone: Int, filesTotal: Int, bytesDone: UInt64, bytesTotal: UInt64,
        currentPath: [UInt8] = []
    ) {
        self.phase = phase
        self.filesDone = filesDone
        self.filesTotal = filesTotal
        self.bytesDone = bytesDone
        self.bytesTotal = bytesTotal
        self.currentPath = currentPath
    }
}
