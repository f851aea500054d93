/// Where an entry named in the journal lives. The applier maps each namespace to a directory
/// descriptor, so the journal never stores absolute paths (the home may be moved or mounted
/// elsewhere between a crash and the recovery).
public enum JournalLocation: Sendable, Hashable {
    /// A path relative to the home directory (raw bytes, `/`-separated; empty is the home itself).
    case home([UInt8])
    /// A single file name inside `<home>/.sindri/txn-<id>/aside/`, where originals are parked.
    case aside([UInt8])
    /// A single file name inside `<home>/.sindri/txn-<id>/staging/`, where verified new content
    /// waits to be renamed into place.
    case staging([UInt8])
}

extension JournalLocation: CustomStringConvertible {
    /// A printable rendering (`home:a/b`, `aside:17`, `staging:42`) with unsafe bytes escaped.
    public var description: String {
        switch self {
        case .home(let path): "home:" + JournalPath.display(path)
        case .aside(let name): "aside:" + JournalPath.display(name)
        case .staging(let name): "staging:" + JournalPath.display(name)
        }
    }
}
