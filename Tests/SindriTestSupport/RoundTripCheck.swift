import Foundation

/// The round-trip check of the restore tests, shared by the local and the S3 ones: every path
/// the archive holds (minus its metadata members and the protected markers) is compared between
/// the original and the restored home by Python's `tarfile` and `os` (tools nobody here wrote):
/// type, mode, mtime, content, link target, shared hard links; and nothing else appeared in the
/// restored home but `.sindri/`.
package enum RoundTripCheck {
    static let script = """
        import json, os, stat, sys, tarfile
        archive, original, restored = sys.argv[1:4]
        METADATA = {'.backup-manifest.json', '.backup-checksums.sha256', '.backup-summary.json', '.sindri/backup-index.jsonl'}
        MARKERS = ['.initialized', '.welcome_shown', 'workspace/.system/bootstrap.yaml',
                   'workspace/.system/installed', 'workspace/.system/install-status']
        def protected(rel):
            return any(rel == m or rel.startswith(m + '/') for m in MARKERS)
        with tarfile.open(archive, 'r:gz') as t:
            names = [m.name.rstrip('/') for m in t.getmembers()]
        expected = [n for n in names if n not in METADATA and not protected(n)]
        problems = []
        for rel in expected:
            a = os.lstat(os.path.join(original, rel))
            try:
                b = os.lstat(os.path.join(restored, rel))
            except FileNotFoundError:
                problems.append(['missing', rel]); continue
            if stat.S_IFMT(a.st_mode) != stat.S_IFMT(b.st_mode):
                problems.append(['type', rel]); continue
            if not stat.S_ISLNK(a.st_mode) and stat.S_IMODE(a.st_mode) != stat.S_IMODE(b.st_mode):
                problems.append(['mode', rel, oct(a.st_mode), oct(b.st_mode)])
            if int(a.st_mtime) != int(b.st_mtime):
                problems.append(['mtime', rel, int(a.st_mtime), int(b.st_mtime)])
            if stat.S_ISREG(a.st_mode) and open(os.path.join(original, rel), 'rb').read() != open(os.path.join(restored, rel), 'rb').read():
                problems.append(['content', rel])
            if stat.S_ISLNK(a.st_mode) and os.readlink(os.path.join(original, rel)) != os.readlink(os.path.join(restored, rel)):
                problems.append(['link target', rel])
        by_inode = {}
        for rel in expected:
            a = os.lstat(os.path.join(original, rel))
            if stat.S_ISREG(a.st_mode) and a.st_nlink > 1:
                by_inode.setdefault(a.st_ino, []).append(rel)
        for group in by_inode.values():
            inodes = set()
            for rel in group:
                try:
                    inodes.add(os.lstat(os.path.join(restored, rel)).st_ino)
                except FileNotFoundError:
                    pass
            if len(group) > 1 and len(inodes) != 1:
                problems.append(['hard link broken', group])
        wanted = set(expected)
        for dirpath, dirnames, filenames in os.walk(restored):
            for name in dirnames + filenames:
                rel = os.path.relpath(os.path.join(dirpath, name), restored)
                if rel == '.sindri' or rel.startswith('.sindri/'):
                    continue
                if rel not in wanted:
                    problems.append(['unexpected', rel])
        print(json.dumps(problems))
        """


    /// The problems found, as a JSON list: `"[]"` when the round trip is exact.
    package static func compare(archive: String, original: String, restored: String) throws -> String {
        let result = try Shell.python(script, [archive, original, restored])
        return result.status == 0 ? result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) : "python: \(result.stderr)"
    }
}
