/// Byte-level helpers for relative home paths (`a/b/c`, no leading or trailing slash).
enum SelectionPath {
    /// The index where the last component of `path` starts (0 when there is no slash).
    static func nameStart(of path: UnsafeBufferPointer<UInt8>) -> Int {
        var index = path.count
        while index > 0 {
            if path[index - 1] == PatternByte.slash { return index }
            index -= 1
        }
        return 0
    }

    /// True when `path[offset ..< offset + expected.count]` equals `expected`; the caller checks the length.
    @inline(__always)
    static func bytes(_ path: UnsafeBufferPointer<UInt8>, at offset: Int, equal expected: [UInt8]) -> Bool {
        expected.withUnsafeBufferPointer { expected in
            var index = 0
            while index < expected.count {
                if path[offset + index] != expected[index] { return false }
                index += 1
            }
            return true
        }
    }

    /// True when `path` is `root` or lies below it (`root/...`).
    static func isSelfOrDescendant(_ path: UnsafeBufferPointer<UInt8>, of root: [UInt8]) -> Bool {
        if path.count == root.count { return bytes(path, at: 0, equal: root) }
        return path.count > root.count && path[root.count] == PatternByte.slash && bytes(path, at: 0, equal: root)
    }

    /// True when `path` is a proper ancestor directory of `root` (`root` is `path/...`).
    static func isProperAncestor(_ path: UnsafeBufferPointer<UInt8>, of root: [UInt8]) -> Bool {
        guard path.count < root.count, root[path.count] == PatternByte.slash else { return false }
        var index = 0
        while index < path.count {
            if path[index] != root[index] { return false }
            index += 1
        }
        return true
    }

    /// The lengths of the proper ancestors of `path`, shortest first: for `a/b/c`, those of `a` and `a/b`.
    static func ancestorLengths(of path: UnsafeBufferPointer<UInt8>) -> [Int] {
        var lengths: [Int] = []
        for index in 0 ..< path.count where path[index] == PatternByte.slash && index > 0 {
            lengths.append(index)
        }
        return lengths
    }
}
