import SindriArchive

/// Rules and helpers for the byte paths the journal stores.
///
/// A journal is read back from disk by the next process, so it is input like any other: a
/// path that could leave the home (`..`, absolute, NUL) is rejected when decoded and when a step is
/// recorded, instead of being trusted by the undo that would follow it.
package enum JournalPath {
    /// Whether `path` is a clean relative path below the home: components separated by single
    /// `/`, none empty, `.` or `..`, no NUL. The empty path (the home itself) is allowed.
    static func isValidHomePath(_ path: [UInt8]) -> Bool {
        if path.isEmpty { return true }
        if path.contains(0) { return false }
        for component in path.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false) {
            if component.isEmpty { return false }
            if component.elementsEqual([UInt8(ascii: ".")]) { return false }
            if component.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")]) { return false }
        }
        return true
    }

    /// Whether `name` is one file name usable inside the aside or staging directory.
    static func isValidName(_ name: [UInt8]) -> Bool {
        !name.isEmpty && !name.contains(0) && !name.contains(UInt8(ascii: "/"))
            && name != [UInt8(ascii: ".")] && name != [UInt8(ascii: "."), UInt8(ascii: ".")]
    }

    /// Whether `ancestor` is `path` itself or one of its parent directories (component-wise).
    static func isSameOrAncestor(_ ancestor: [UInt8], of path: [UInt8]) -> Bool {
        if ancestor.isEmpty { return true }
        guard path.count >= ancestor.count, path.starts(with: ancestor) else { return false }
        return path.count == ancestor.count || path[ancestor.count] == UInt8(ascii: "/")
    }

    /// The parent directory of a home path (`a/b/c` -> `a/b`, `a` -> the home itself).
    static func parent(of path: [UInt8]) -> [UInt8] {
        guard let slash = path.lastIndex(of: UInt8(ascii: "/")) else { return [] }
        return Array(path[..<slash])
    }

    /// A single-line printable rendering: printable ASCII and valid UTF-8 kept, everything else
    /// escaped as `\xNN` (so a hostile name cannot forge a line in a message).
    static func display(_ bytes: [UInt8]) -> String {
        PathBytes.display(bytes)
    }
}
