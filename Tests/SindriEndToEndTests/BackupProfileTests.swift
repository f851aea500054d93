import Foundation
import Testing

/// `sindri backup` end to end: each profile's selection read back with GNU tar, gzip, bsdtar and
/// Python's tarfile.
@Suite("backup profiles (end to end)")
struct BackupProfileTests {
    static let standardExpected: Set<String> = [
        "workspace/", "workspace/projects/", "workspace/projects/app/", "workspace/projects/app/src/",
        "workspace/projects/app/src/main.swift", "workspace/projects/app/README.md", "workspace/projects/app/README-hardlink.md",
        "workspace/projects/app/.env", "workspace/projects/app/.env.local", "workspace/projects/app/link-to-readme",
        "workspace/projects/rusty/", "workspace/projects/rusty/target/", "workspace/projects/rusty/src/",
        "workspace/projects/rusty/src/lib.rs", "workspace/projects/py/", "workspace/projects/py/m.py",
        "workspace/projects/empty-dir/", "workspace/config/", "workspace/config/settings.toml", "workspace/scripts/",
        "workspace/scripts/deploy.sh", "workspace/bin/", "workspace/bin/tool", ".claude/", ".claude/settings.json",
        ".ssh/", ".ssh/host_keys/", ".ssh/host_keys/ssh_host_ed25519_key", ".gitconfig",
        ".bashrc", ".profile", ".config/", ".config/app/", ".config/app/config.json", ".config/mise/",
        ".local/", ".local/bin/", ".local/bin/helper",
    ]

    static let userDataExpected: Set<String> = standardExpected.subtracting([
        ".bashrc", ".profile", ".config/", ".config/app/", ".config/app/config.json", ".config/mise/",
        ".local/", ".local/bin/", ".local/bin/helper",
    ])

    static let fullExpected: Set<String> = standardExpected.union([
        "notes.txt", ".ssh/authorized_keys", ".initialized", ".welcome_shown", ".config/mise/shims/",
        ".config/mise/shims/node", "workspace/.system/", "workspace/.system/bootstrap.yaml",
        "workspace/.system/installed/", "workspace/.system/installed/nodejs", "workspace/.system/install-status",
        "workspace/.system/manifest/", "workspace/.system/manifest/ext.yaml",
        ".local/share/", ".local/share/mise/",
    ])

    static let metadata: Set<String> = [".backup-manifest.json", ".backup-checksums.sha256", ".sindri/backup-index.jsonl"]

    @Test("each profile archives exactly what the profile tables say", arguments: [
        ("user-data", userDataExpected), ("standard", standardExpected), ("full", fullExpected),
    ])
    func profileSelection(profile: String, expected: Set<String>) throws {
        let temp = try TemporaryDirectory("profile")
        let home = temp.sub("home")
        _ = try Fixture.guideHome(at: home)
        let archive = temp.path + "/out.tar.gz"
        let result = try Sindri.run(["backup", "--home", home, "-o", archive, "-p", profile])
        #expect(result.status == 0, "stderr: \(result.stderr)")

        let listing = try gnuTarList(archive)
        #expect(listing.status == 0)
        #expect(listing.stderr.isEmpty, "GNU tar warned: \(listing.stderr)")
        #expect(listing.names.first == ".backup-manifest.json")
        let names = Set(listing.names).subtracting(Self.metadata)
        #expect(names == expected, "unexpected: \(names.subtracting(expected).sorted()) missing: \(expected.subtracting(names).sorted())")
        #expect(listing.names.count == Set(listing.names).count, "duplicate members")

        let gzip = try Shell.run(["gzip", "-t", archive])
        #expect(gzip.status == 0 && gzip.stderr.isEmpty, "gzip -t: \(gzip.stderr)")
        let bsdtar = try Shell.run(["bsdtar", "-tzf", archive])
        #expect(bsdtar.status == 0 && bsdtar.stderr.isEmpty, "bsdtar: \(bsdtar.stderr)")
        let python = try Shell.python("""
            import sys, tarfile
            with tarfile.open(sys.argv[1], 'r:gz') as t:
                print(len(t.getmembers()))
            """, [archive])
        #expect(python.status == 0, "python: \(python.stderr)")
        #expect(Int(python.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)) == listing.names.count)
    }

    @Test("the archive extracts with GNU tar to the same contents, modes, mtimes and links")
    func roundTripWithGNUTar() throws {
        let temp = try TemporaryDirectory("roundtrip")
        let home = temp.sub("home")
        _ = try Fixture.guideHome(at: home)
        try Fixture(root: home).file("workspace/projects/app/odd mode.sh", "#!/bin/sh\n", mode: 0o750, mtime: 1_234_567_890)
        let archive = temp.path + "/out.tar.gz"
        #expect(try Sindri.run(["backup", "--home", home, "-o", archive, "-p", "full"]).status == 0)
        let extracted = temp.sub("extracted")
        let untar = try Shell.run(["tar", "-xzf", archive, "-C", extracted])
        #expect(untar.status == 0 && untar.stderr.isEmpty, "tar -x: \(untar.stderr)")

        // Compare every archived path: type, mode, mtime (files and links), content, link target.
        let compare = try Shell.python("""
            import os, sys, stat
            home, out = sys.argv[1], sys.argv[2]
            problems = []
            for dirpath, dirnames, filenames in os.walk(out):
                for name in dirnames + filenames:
                    p = os.path.join(dirpath, name)
                    rel = os.path.relpath(p, out)
                    if rel in ('.backup-manifest.json', '.backup-checksums.sha256', '.sindri', '.sindri/backup-index.jsonl'):
                        continue
                    a, b = os.lstat(os.path.join(home, rel)), os.lstat(p)
                    if stat.S_IFMT(a.st_mode) != stat.S_IFMT(b.st_mode): problems.append(('type', rel))
                    if not stat.S_ISLNK(a.st_mode) and stat.S_IMODE(a.st_mode) != stat.S_IMODE(b.st_mode): problems.append(('mode', rel))
                    if not stat.S_ISDIR(a.st_mode) and int(a.st_mtime) != int(b.st_mtime): problems.append(('mtime', rel))
                    if stat.S_ISREG(a.st_mode) and open(os.path.join(home, rel), 'rb').read() != open(p, 'rb').read(): problems.append(('content', rel))
                    if stat.S_ISLNK(a.st_mode) and os.readlink(os.path.join(home, rel)) != os.readlink(p): problems.append(('link', rel))
            h1 = os.lstat(os.path.join(out, 'workspace/projects/app/README.md'))
            h2 = os.lstat(os.path.join(out, 'workspace/projects/app/README-hardlink.md'))
            if h1.st_ino != h2.st_ino: problems.append(('hardlink', 'README-hardlink.md'))
            if not os.path.isdir(os.path.join(out, 'workspace/projects/empty-dir')): problems.append(('emptydir', ''))
            print(problems)
            """, [home, extracted])
        #expect(compare.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == "[]", "\(compare.stdoutText) \(compare.stderr)")
    }
}
