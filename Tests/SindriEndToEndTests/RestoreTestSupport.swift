import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Everything observable about a directory tree, path by path: type, permission bits, mtime (ns),
/// inode, and for files the size and SHA256, for links the target. Two snapshots are equal exactly
/// when nothing in the tree was created, removed, replaced, rewritten, chmod'ed or re-timed.
/// (Link counts are left out on purpose: unlinking a hard link in the home changes the count of
/// its twin outside, which is not a write to the twin.)
struct HomeSnapshot: Equatable, CustomStringConvertible {
    /// Path relative to the root ("." for the root itself) -> "type mode mtime_ns inode [size sha256 | target]".
    let entries: [String: String]

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
    static func take(_ root: String, excluding: [String] = []) throws -> HomeSnapshot {
        let result = try Shell.python(script, [root] + excluding)
        guard result.status == 0 else { throw SnapshotError.failed(root, result.stderr) }
        let entries = try JSONDecoder().decode([String: String].self, from: result.stdout)
        return HomeSnapshot(entries: entries)
    }

    /// The same snapshot without the root's own entry (whose mtime moves when a child is added and removed).
    var withoutRoot: HomeSnapshot { HomeSnapshot(entries: entries.filter { $0.key != "." }) }

    var paths: Set<String> { Set(entries.keys) }

    /// Human-readable differences, for failure messages.
    func differences(from before: HomeSnapshot) -> [String] {
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
    var description: String { "\(entries.count) entries" }

    enum SnapshotError: Error { case failed(String, String) }
}

/// The layout every restore test uses: `temp/home` (the restore target), `temp/outside` (a sentinel
/// next to it that nothing may touch) and `temp/env-home` (the process's $HOME and working
/// directory, also off limits: a write relative to the working directory lands there and shows).
struct RestoreSandbox {
    let temp: TemporaryDirectory
    let home: String
    let outside: String
    let envHome: String

    init(_ label: String) throws {
        temp = try TemporaryDirectory(label)
        home = temp.sub("home")
        outside = temp.sub("outside")
        envHome = temp.sub("env-home")
        try Fixture(root: outside).file("file", "sentinel: must never change\n", mode: 0o644)
        try Fixture(root: outside).file("target", "link target outside the home\n", mode: 0o644)
        try Fixture(root: outside).directory("dir")
    }

    var path: String { temp.path }
    func file(_ name: String) -> String { temp.path + "/" + name }

    /// Everything in the sandbox except the home: the sentinel, the archives, $HOME.
    func outsideSnapshot() throws -> HomeSnapshot {
        try HomeSnapshot.take(temp.path, excluding: ["home"]).withoutRoot
    }

    /// The whole sandbox, home included.
    func fullSnapshot() throws -> HomeSnapshot { try HomeSnapshot.take(temp.path).withoutRoot }

    func homeSnapshot() throws -> HomeSnapshot { try HomeSnapshot.take(home) }

    /// `sindri restore ARCHIVE --home HOME --no-interactive [-m MODE] EXTRA...`
    @discardableResult
    func restore(_ archive: String, mode: String? = nil, _ extra: [String] = [], stdin: Data? = nil) throws -> ProcessOutput {
        var arguments = ["restore", archive, "--home", home, "--no-interactive"]
        if let mode { arguments += ["--mode", mode] }
        return try Sindri.run(arguments + extra, environment: ["HOME": envHome], stdin: stdin, cwd: envHome)
    }

    /// `sindri verify ARCHIVE EXTRA...`
    @discardableResult
    func verify(_ archive: String, _ extra: [String] = [], stdin: Data? = nil) throws -> ProcessOutput {
        try Sindri.run(["verify", archive] + extra, environment: ["HOME": envHome], stdin: stdin, cwd: envHome)
    }

    /// `sindri backup --home SOURCE -o FILE -p PROFILE`, failing the caller when the backup fails.
    func backup(of source: String, profile: String = "standard", to name: String = "backup.tar.gz") throws -> String {
        let archive = file(name)
        let result = try Sindri.run(["backup", "--home", source, "-o", archive, "-p", profile], environment: ["HOME": envHome], cwd: envHome)
        guard result.status == 0 else { throw RestoreTestError.backupFailed(result.stderr) }
        return archive
    }

    func read(_ relative: String) -> String? {
        FileManager.default.contents(atPath: home + "/" + relative).map { String(decoding: $0, as: UTF8.self) }
    }

    func exists(_ relative: String) -> Bool { lstatOf(home + "/" + relative) != nil }
}

enum RestoreTestError: Error { case backupFailed(String), pythonFailed(String) }

/// `lstat`, or nil when the path does not exist.
func lstatOf(_ path: String) -> stat? {
    var info = stat()
    return lstat(path, &info) == 0 ? info : nil
}

/// Small homes for restore tests.
enum RestoreFixtures {
    /// A small home that the standard profile archives whole: files with distinct modes and
    /// mtimes, a 64 KiB incompressible file, a symlink, a hard link and an empty directory.
    static func smallHome(at root: String) throws -> Fixture {
        let f = Fixture(root: root)
        try f.file("workspace/projects/app/main.swift", "print(\"hello\")\n", mtime: 1_600_000_000)
        try f.file("workspace/projects/app/README.md", String(repeating: "Read me.\n", count: 50), mtime: 1_600_000_100)
        try f.data("workspace/projects/app/data.bin", pseudoRandomBytes(count: 64 * 1024), mtime: 1_600_000_200)
        try f.file("workspace/projects/app/secret.env", "TOKEN=1\n", mode: 0o600, mtime: 1_600_000_300)
        try f.symlink("workspace/projects/app/link-to-readme", to: "README.md")
        try f.hardLink("workspace/projects/app/README-hardlink.md", to: "workspace/projects/app/README.md")
        try f.directory("workspace/projects/empty-dir", mode: 0o750)
        try f.file("workspace/scripts/run.sh", "#!/bin/sh\necho run\n", mode: 0o755, mtime: 1_600_000_400)
        try f.file(".gitconfig", "[user]\n\tname = Backup\n", mtime: 1_600_000_500)
        try f.file(".bashrc", "export FROM_BACKUP=1\nalias ll='ls -l'\n", mtime: 1_600_000_600)
        try f.file(".config/app/config.json", "{\"a\": 1}\n", mtime: 1_600_000_700)
        return f
    }

    /// Deterministic bytes that gzip cannot shrink (so most of an archive is deflate data).
    static func pseudoRandomBytes(count: Int, seed: UInt64 = 0x5EED) -> Data {
        var state = seed
        var bytes = [UInt8](repeating: 0, count: count)
        for index in 0..<count {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            bytes[index] = UInt8(truncatingIfNeeded: state >> 33)
        }
        return Data(bytes)
    }

    /// The markers no restore may write, relative to the home.
    static let markers = [".initialized", ".welcome_shown", "workspace/.system/bootstrap.yaml",
                          "workspace/.system/installed", "workspace/.system/install-status"]
}

/// The `--dry-run` plan printed on stdout: `ACTION<TAB>PATH` lines, keyed by home-relative path.
struct DryRunPlan {
    var actions: [String: String] = [:]

    init(_ output: ProcessOutput, home: String) {
        for line in output.stdoutText.split(separator: "\n") {
            guard let tab = line.firstIndex(of: "\t") else { continue }
            let action = String(line[..<tab]).trimmingCharacters(in: .whitespaces)
            var path = String(line[line.index(after: tab)...]).trimmingCharacters(in: .whitespaces)
            if path.hasPrefix(home + "/") { path.removeFirst(home.count + 1) }
            if path.hasPrefix("./") { path.removeFirst(2) }
            while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
            actions[path] = action
        }
    }

    subscript(path: String) -> String? { actions[path] }
}

/// Output checks shared by the tests.
enum OutputCheck {
    /// The exit statuses a run may end with when it does not crash (no signal, no trap).
    static let orderlyStatuses: Set<Int32> = [0, 1, 3, 4, 5]

    /// Whether either stream holds a raw ESC byte.
    static func hasRawEscape(_ output: ProcessOutput) -> Bool {
        output.stdout.contains(0x1B) || output.stderr.utf8.contains(0x1B)
    }

    /// Lines of both streams, for "a name broke the line" checks.
    static func lines(_ output: ProcessOutput) -> [String] {
        (output.stdoutText + "\n" + output.stderr).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    static func combined(_ output: ProcessOutput) -> String { output.stdoutText + "\n" + output.stderr }
}

/// Runs the `sindri` binary under a Python parent that reports the child's peak memory, with a time limit.
enum MeasuredRun {
    struct Result {
        var status: Int32
        var maxResidentKiB: Int
        var timedOut: Bool
        var stderr: String
    }

    static func sindri(_ arguments: [String], home envHome: String, timeoutSeconds: Int = 120) throws -> Result {
        let script = """
            import json, os, resource, subprocess, sys
            env = dict(os.environ, HOME=sys.argv[1])
            timeout = int(sys.argv[2])
            try:
                p = subprocess.run(sys.argv[3:], stdin=subprocess.DEVNULL, capture_output=True, env=env, timeout=timeout, cwd=sys.argv[1])
                status, err, timed_out = p.returncode, p.stderr.decode('utf-8', 'replace'), False
            except subprocess.TimeoutExpired as e:
                status, err, timed_out = -1, (e.stderr or b'').decode('utf-8', 'replace'), True
            print(json.dumps({'status': status, 'maxrss': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
                              'timed_out': timed_out, 'stderr': err}))
            """
        let output = try Shell.python(script, [envHome, String(timeoutSeconds), Sindri.binary] + arguments)
        guard output.status == 0,
              let object = try JSONSerialization.jsonObject(with: output.stdout) as? [String: Any] else {
            throw RestoreTestError.pythonFailed(output.stderr)
        }
        return Result(status: Int32(object["status"] as? Int ?? -1), maxResidentKiB: object["maxrss"] as? Int ?? 0,
                      timedOut: object["timed_out"] as? Bool ?? true, stderr: object["stderr"] as? String ?? "")
    }
}

/// Whether this process may mount a small tmpfs (root on Linux), for the "no room" test.
enum TmpfsMount {
    static let isAvailable: Bool = {
        guard geteuid() == 0, let probe = try? TemporaryDirectory("mount-probe") else { return false }
        let point = probe.sub("mnt")
        guard (try? Shell.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", point]))?.status == 0 else { return false }
        _ = try? Shell.run(["umount", point])
        return true
    }()

    static func mount(_ point: String, size: String) throws -> Bool {
        try Shell.run(["mount", "-t", "tmpfs", "-o", "size=\(size)", "tmpfs", point]).status == 0
    }

    static func unmount(_ point: String) { _ = try? Shell.run(["umount", point]) }
}
