import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Builds fixture homes file by file.
package struct Fixture: Sendable {
    package let root: String

    package init(root: String) { self.root = root }

    package func file(_ path: String, _ contents: String = "", mode: mode_t = 0o644, mtime: Int = 1_700_000_000) throws {
        try data(path, Data(contents.utf8), mode: mode, mtime: mtime)
    }

    package func data(_ path: String, _ contents: Data, mode: mode_t = 0o644, mtime: Int = 1_700_000_000) throws {
        let full = root + "/" + path
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: full, contents: contents) else { throw FixtureError.create(path) }
        chmod(full, mode)
        setTime(full, mtime)
    }

    package func directory(_ path: String, mode: mode_t = 0o755) throws {
        try FileManager.default.createDirectory(atPath: root + "/" + path, withIntermediateDirectories: true)
        chmod(root + "/" + path, mode)
    }

    package func symlink(_ path: String, to target: String) throws {
        let full = root + "/" + path
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard Glibc.symlink(target, full) == 0 else { throw FixtureError.create(path) }
    }

    package func hardLink(_ path: String, to existing: String) throws {
        guard link(root + "/" + existing, root + "/" + path) == 0 else { throw FixtureError.create(path) }
    }

    package func setTime(_ full: String, _ mtime: Int) {
        var times = [timespec(tv_sec: mtime, tv_nsec: 0), timespec(tv_sec: mtime, tv_nsec: 0)]
        utimensat(AT_FDCWD, full, &times, AT_SYMLINK_NOFOLLOW)
    }

    package enum FixtureError: Error { case create(String) }

    /// A home covering every category of a developer home's layout.
    package static func guideHome(at root: String) throws -> Fixture {
        let f = Fixture(root: root)
        try f.file("workspace/projects/app/src/main.swift", "print(\"hello\")\n")
        try f.file("workspace/projects/app/README.md", String(repeating: "Documentation line.\n", count: 200))
        try f.file("workspace/projects/app/.env", "SECRET=1\n", mode: 0o600)
        try f.file("workspace/projects/app/.env.local", "SECRET=2\n", mode: 0o600)
        try f.file("workspace/projects/app/node_modules/left-pad/index.js", "module.exports = 1\n")
        try f.file("workspace/projects/app/dist/bundle.js", "bundle\n")
        try f.file("workspace/projects/app/build/out.o", "obj\n")
        try f.file("workspace/projects/rusty/target/debug/rusty", "binary\n", mode: 0o755)
        try f.file("workspace/projects/rusty/target/release/rusty", "binary\n", mode: 0o755)
        try f.file("workspace/projects/rusty/src/lib.rs", "pub fn f() {}\n")
        try f.file("workspace/projects/py/__pycache__/m.cpython-311.pyc", "pyc\n")
        try f.file("workspace/projects/py/.venv/bin/python", "venv\n")
        try f.file("workspace/projects/py/m.py", "x = 1\n")
        try f.directory("workspace/projects/empty-dir")
        try f.file("workspace/config/settings.toml", "a = 1\n")
        try f.file("workspace/scripts/deploy.sh", "#!/bin/sh\necho hi\n", mode: 0o755)
        try f.file("workspace/bin/tool", "tool\n", mode: 0o755)
        try f.file("workspace/.system/bootstrap.yaml", "installed: true\n")
        try f.file("workspace/.system/installed/nodejs", "version: 1.2.0\n")
        try f.file("workspace/.system/install-status", "done\n")
        try f.file("workspace/.system/logs/install.log", "log\n")
        try f.file("workspace/.system/manifest/ext.yaml", "ext: 1\n")
        try f.file(".claude/settings.json", "{}\n")
        try f.file(".ssh/host_keys/ssh_host_ed25519_key", "KEY\n", mode: 0o600)
        try f.file(".ssh/authorized_keys", "ssh-ed25519 AAAA\n", mode: 0o600)
        try f.file(".gitconfig", "[user]\n\tname = Dev\n")
        try f.file(".bashrc", "export A=1\n")
        try f.file(".profile", "export B=1\n")
        try f.file(".config/app/config.json", "{}\n")
        try f.file(".config/mise/shims/node", "shim\n", mode: 0o755)
        try f.file(".local/bin/helper", "helper\n", mode: 0o755)
        try f.file(".local/share/mise/installs/node/bin/node", "node\n", mode: 0o755)
        try f.file(".local/state/mise/state.json", "{}\n")
        try f.file(".cache/pip/wheel", "cache\n")
        try f.file(".initialized", "")
        try f.file(".welcome_shown", "")
        try f.file(".sindri/restore-snapshots/old.tar.gz", "state\n")
        try f.file("notes.txt", "loose file at the top\n")
        try f.symlink("workspace/projects/app/link-to-readme", to: "README.md")
        try f.hardLink("workspace/projects/app/README-hardlink.md", to: "workspace/projects/app/README.md")
        return f
    }
}
