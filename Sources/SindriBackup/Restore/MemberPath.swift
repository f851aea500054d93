import SindriArchive

/// Turns a member name from an archive into a safe path relative to the home, by bytes.
///
/// `./` prefixes, `.` components and repeated slashes are dropped; an absolute name or any `..`
/// component makes the whole archive unsafe (our writer never emits them). The result is only
/// ever resolved beneath the home's descriptor with `openat2(RESOLVE_BENEATH |
/// RESOLVE_NO_SYMLINKS)`, so this is the first of two independent guards, not the only one.
enum MemberPath {
    enum Verdict: Equatable {
        case path([UInt8])
        /// The archive's root itself (`./`): nothing to restore.
        case root
        case unsafe(String)
    }

    static func normalize(_ raw: [UInt8]) -> Verdict {
        if raw.first == UInt8(ascii: "/") { return .unsafe("absolute path") }
        var components: [ArraySlice<UInt8>] = []
        for component in raw.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true) {
            if component.count == 1 && component.first == UInt8(ascii: ".") { continue }
            if component.count == 2 && component.elementsEqual([0x2E, 0x2E]) { return .unsafe("'..' component") }
            components.append(component)
        }
        if components.isEmpty { return .root }
        var path: [UInt8] = []
        path.reserveCapacity(raw.count)
        for (index, component) in components.enumerated() {
            if index > 0 { path.append(UInt8(ascii: "/")) }
            path.append(contentsOf: component)
        }
        return .path(path)
    }

    /// The parent directory of a normalized path (empty for a top-level name).
    static func parent(_ path: [UInt8]) -> [UInt8] {
        guard let slash = path.lastIndex(of: UInt8(ascii: "/")) else { return [] }
        return Array(path[..<slash])
    }

    /// The last component of a normalized path.
    static func name(_ path: [UInt8]) -> [UInt8] {
        guard let slash = path.lastIndex(of: UInt8(ascii: "/")) else { return path }
        return Array(path[(slash + 1)...])
    }

    /// Every proper ancestor of a normalized path, shortest first (`a`, `a/b` for `a/b/c`).
    static func ancestors(_ path: [UInt8]) -> [[UInt8]] {
        var result: [[UInt8]] = []
        for (index, byte) in path.enumerated() where byte == UInt8(ascii: "/") {
            result.append(Array(path[..<index]))
        }
        return result
    }
}
