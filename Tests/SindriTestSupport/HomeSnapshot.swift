import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Everything observable about a directory tree, path by path: type, permission bits, mtime (ns),
/// inode, and for files the size and SHA256, for links the target. Two snapshots are equal exactly
/// when nothing in the tree was created, removed, replaced, rewritten, chmod'ed or re-timed.
/// (Link counts are left out on purpose: unlinking a hard link in the home changes the count of
/// its twin outside, which is not a write to the twin.)
package struct HomeSnapshot: Equatable, CustomStringConvertible, Sendable {
    /// Path relative to the root ("." for the root itself) -> "type mode mtime_ns inode [size sha256 | target]".
    package let entries: [String: String]

    package init(entries: [String: String]) { self.entries = entries }

    private static let script = """
        import hashlib, json, os, stat, sys
        root = os.fsencode(sys.argv[1])
        excluded = [os.fsencode(x).rstrip(b'/') for x in sys.argv[2:]]
        def is_excluded(rel):
            return any(rel == e or rel.startswith(e + b'/') for e in excluded)
        def describe(full):
            st = os.lstat(full)
            m = st.st_mode
            kind = 'dir' if stat.S_ISDIR(m) else 'file' if stat.S_ISREG(m) else 'link' if stat.S_ISLNK(m) else 'other%o' % stat.S_IFMT(m)
            parts = [kind, '%o' % stat.S_IMODE(m), str(st.st_mtime_ns), str(st.st_ino)]
            if stat.S_ISREG(m):
                h = hashlib.sha256()
                with open(full, 'rb') as f:
                    h.update(f.read())
                parts += [str(st.st_size), h.hexdigest()]
            if stat.S_ISLNK(m):
                parts.append(os.readlink(full).decode('utf-8', 'backslashreplace'))
            return ' '.join(parts)
        out = {'.': describe(root)}
        for dirpath, dirnames, filenames in os.walk(root):
            for name in sorted(dirnames + filenames):
                full = os.path.join(dirpath, name)
                rel = os.path.relpath(full, root)
                if is_excluded(rel):
                    continue
                out[rel.decode('utf-8', 'backslashreplace')] = describe(full)
            dirnames[:] = [d for d in dirnames if not is_excluded(os.path.relpath(os.path.join(dirpath, d), root))]
        print(json.dumps(out))
        """

    /// Snapshots `root`, leaving out the given relative paths and everything below them.
    package static func take(_ root: String, excluding: [String] = []) throws -> HomeSnapshot {
        let result = try Shell.python(script, [root] + excluding)
        guard result.status == 0 else { throw SnapshotError.failed(root, result.stderr) }
        let entries = try JSONDecoder().decode([String: String].self, from: result.stdout)
        return HomeSnapshot(entries: entries)
    }

    /// The same snapshot without the root's own entry (whose mtime moves when a child is added and removed).
    package var withoutRoot: HomeSnapshot { HomeSnapshot(entries: entries.filter { $0.key != "." }) }

    package var paths: Set<String> { Set(entries.keys) }

    /// Human-readable differences, for failure messages.
    package func differences(from before: HomeSnapshot) -> [String] {
        var lines: [String] = []
        for key in Set(entries.keys).union(before.entries.keys).sorted() {
            switch (before.entries[key], entries[key]) {
            case let (old?, new?) where old != new: lines.append("changed \(key): \(old) -> \(new)")
            case (nil, _?): lines.append("appeared \(key)")
            case (_?, nil): lines.append("vanished \(key)")
            default: break
            }
        }
        return lines
    }

    /// Short on purpose: failure messages show `differences(from:)` instead.
    package var description: String { "\(entries.count) entries" }

    package enum SnapshotError: Error { case failed(String, String) }
}
