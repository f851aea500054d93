import SindriBackup
import SindriJournal

/// What the fake file tree stores at a location.
enum JournalFakeNode: Hashable {
    case file(content: String, attributes: FileAttributes)
    case symlink(target: String, attributes: FileAttributes)
    case directory(attributes: FileAttributes)

    var isDirectory: Bool {
        if case .directory = self { return true }
        return false
    }

    var attributes: FileAttributes {
        switch self {
        case .file(_, let attributes), .symlink(_, let attributes), .directory(let attributes): attributes
        }
    }

    func with(attributes: FileAttributes) -> JournalFakeNode {
        switch self {
        case .file(let content, _): .file(content: content, attributes: attributes)
        case .symlink(let target, _): .symlink(target: target, attributes: attributes)
        case .directory: .directory(attributes: attributes)
        }
    }
}

/// Errors of the fake file system, named after the errno a real one would give.
struct JournalFakeError: Error, Equatable, CustomStringConvertible {
    var errno: String
    var location: JournalLocation
    var description: String { "\(errno) at \(location)" }
}

/// An in-memory file tree for the journal tests: `[location: node]` over the three namespaces
/// the journal names (home, aside, staging). A directory's subtree is the set of keys below it.
/// Entry changes inside a home directory bump its mtime with a logical clock, the way a real
/// directory's mtime moves, so that "back to the exact prior state" includes directory mtimes.
struct JournalFakeTree {
    var nodes: [JournalLocation: JournalFakeNode]
    var clock: Int64 = 5_000

    init(_ nodes: [JournalLocation: JournalFakeNode]) { self.nodes = nodes }

    /// Only the home namespace (what the user sees).
    var home: [JournalLocation: JournalFakeNode] { nodes.filter { if case .home = $0.key { true } else { false } } }
    var aside: [JournalLocation: JournalFakeNode] { nodes.filter { if case .aside = $0.key { true } else { false } } }
    var staging: [JournalLocation: JournalFakeNode] { nodes.filter { if case .staging = $0.key { true } else { false } } }

    func presence(_ location: JournalLocation) -> EntryPresence {
        guard let node = nodes[location] else { return .absent }
        return node.isDirectory ? .directory : .nonDirectory
    }

    // MARK: System calls

    mutating func rename(_ from: JournalLocation, _ to: JournalLocation, noReplace: Bool) throws(JournalFakeError) {
        guard let node = nodes[from] else { throw JournalFakeError(errno: "ENOENT", location: from) }
        try requireParent(of: to)
        if let existing = nodes[to] {
            if noReplace { throw JournalFakeError(errno: "EEXIST", location: to) }
            if existing.isDirectory != node.isDirectory {
                throw JournalFakeError(errno: existing.isDirectory ? "EISDIR" : "ENOTDIR", location: to)
            }
            if existing.isDirectory && !children(of: to).isEmpty { throw JournalFakeError(errno: "ENOTEMPTY", location: to) }
        }
        let moved = subtree(of: from)
        for (location, _) in moved { nodes[location] = nil }
        nodes[from] = nil
        for (location, movedNode) in moved {
            nodes[Self.rebase(location, from: from, to: to)] = movedNode
        }
        nodes[to] = node
        touchParent(of: from)
        touchParent(of: to)
    }

    mutating func unlink(_ location: JournalLocation) throws(JournalFakeError) {
        guard let node = nodes[location] else { throw JournalFakeError(errno: "ENOENT", location: location) }
        if node.isDirectory { throw JournalFakeError(errno: "EISDIR", location: location) }
        nodes[location] = nil
        touchParent(of: location)
    }

    mutating func rmdir(_ location: JournalLocation) throws(JournalFakeError) {
        guard let node = nodes[location] else { throw JournalFakeError(errno: "ENOENT", location: location) }
        if !node.isDirectory { throw JournalFakeError(errno: "ENOTDIR", location: location) }
        if !children(of: location).isEmpty { throw JournalFakeError(errno: "ENOTEMPTY", location: location) }
        nodes[location] = nil
        touchParent(of: location)
    }

    mutating func mkdir(_ location: JournalLocation, mode: UInt32) throws(JournalFakeError) {
        if nodes[location] != nil { throw JournalFakeError(errno: "EEXIST", location: location) }
        try requireParent(of: location)
        nodes[location] = .directory(attributes: FileAttributes(mode: mode, uid: 1000, gid: 1000, mtimeSeconds: tick(), mtimeNanoseconds: 0))
        touchParent(of: location)
    }

    mutating func setAttributes(_ location: JournalLocation, _ attributes: FileAttributes) throws(JournalFakeError) {
        guard let node = nodes[location] else { throw JournalFakeError(errno: "ENOENT", location: location) }
        nodes[location] = node.with(attributes: attributes)
    }

    /// Copies `path` and its subtree from `snapshot` over whatever is at `path` (like `tar x`
    /// with `--recursive-unlink`).
    mutating func extract(_ path: [UInt8], from snapshot: [JournalLocation: JournalFakeNode]) throws(JournalFakeError) {
        let root = JournalLocation.home(path)
        guard snapshot[root] != nil else { throw JournalFakeError(errno: "ENOENT(snapshot)", location: root) }
        try requireParent(of: root)
        for (location, _) in subtree(of: root) { nodes[location] = nil }
        nodes[root] = nil
        for (location, node) in snapshot where location == root || Self.isBelow(location, root) {
            nodes[location] = node
        }
        touchParent(of: root)
    }

    // MARK: Helpers

    func children(of directory: JournalLocation) -> [JournalLocation] {
        nodes.keys.filter { Self.isDirectChild($0, of: directory) }
    }

    func subtree(of location: JournalLocation) -> [(JournalLocation, JournalFakeNode)] {
        nodes.filter { Self.isBelow($0.key, location) }.map { ($0.key, $0.value) }
    }

    private mutating func tick() -> Int64 {
        clock += 1
        return clock
    }

    private func requireParent(of location: JournalLocation) throws(JournalFakeError) {
        guard case .home(let path) = location, !path.isEmpty else { return }
        let parent = JournalLocation.home(Self.parent(path))
        guard let node = nodes[parent] else { throw JournalFakeError(errno: "ENOENT", location: parent) }
        if !node.isDirectory { throw JournalFakeError(errno: "ENOTDIR", location: parent) }
    }

    private mutating func touchParent(of location: JournalLocation) {
        guard case .home(let path) = location, !path.isEmpty else { return }
        let parent = JournalLocation.home(Self.parent(path))
        if let node = nodes[parent] {
            var attributes = node.attributes
            attributes.mtimeSeconds = tick()
            nodes[parent] = node.with(attributes: attributes)
        }
    }

    static func parent(_ path: [UInt8]) -> [UInt8] {
        guard let slash = path.lastIndex(of: UInt8(ascii: "/")) else { return [] }
        return Array(path[..<slash])
    }

    private static func split(_ location: JournalLocation) -> (Int, [UInt8]) {
        switch location {
        case .home(let path): (0, path)
        case .aside(let path): (1, path)
        case .staging(let path): (2, path)
        }
    }

    private static func make(_ namespace: Int, _ path: [UInt8]) -> JournalLocation {
        switch namespace {
        case 0: .home(path)
        case 1: .aside(path)
        default: .staging(path)
        }
    }

    /// Strictly below (a descendant, not the location itself).
    static func isBelow(_ location: JournalLocation, _ ancestor: JournalLocation) -> Bool {
        let (namespace, path) = split(location)
        let (ancestorNamespace, ancestorPath) = split(ancestor)
        guard namespace == ancestorNamespace, path.count > ancestorPath.count else { return false }
        if ancestorPath.isEmpty { return namespace == 0 }
        return path.starts(with: ancestorPath) && path[ancestorPath.count] == UInt8(ascii: "/")
    }

    static func isDirectChild(_ location: JournalLocation, of directory: JournalLocation) -> Bool {
        guard isBelow(location, directory) else { return false }
        let (_, path) = split(location)
        let (_, directoryPath) = split(directory)
        let rest = directoryPath.isEmpty ? path[...] : path[(directoryPath.count + 1)...]
        return !rest.contains(UInt8(ascii: "/"))
    }

    private static func rebase(_ location: JournalLocation, from: JournalLocation, to: JournalLocation) -> JournalLocation {
        let (_, path) = split(location)
        let (_, fromPath) = split(from)
        let (toNamespace, toPath) = split(to)
        return make(toNamespace, toPath + path[fromPath.count...])
    }
}
