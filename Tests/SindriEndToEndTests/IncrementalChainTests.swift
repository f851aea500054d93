import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Incremental backups end to end, through the binary: a full backup and a chain of
/// incrementals through every kind of change; each link restores to exactly the tree as it was
/// right after that backup; GNU tar extracts each incremental's changed files; a chain with a
/// missing link is refused before anything is written.
@Suite("incremental backups (end to end)", .serialized)
struct IncrementalChainTests {
    /// The tree as a restore must reproduce it: per path its type, mode, mtime in whole seconds
    /// (what a tar header carries), size and SHA-256 or link target, and which other paths share
    /// its inode (hard links). The root and `.sindri` are left out.
    static func tree(_ root: String) throws -> [String: String] {
        let result = try Shell.python("""
            import os, sys, hashlib, stat, json
            root = sys.argv[1]
            out, inodes = {}, {}
            for d, ds, fs in os.walk(root):
                if os.path.relpath(d, root) == '.':
                    ds[:] = [x for x in ds if x != '.sindri']
                for n in ds + fs:
                    p = os.path.join(d, n)
                    st = os.lstat(p)
                    rel = os.path.relpath(p, root)
                    kind = 'dir' if stat.S_ISDIR(st.st_mode) else 'file' if stat.S_ISREG(st.st_mode) else 'link' if stat.S_ISLNK(st.st_mode) else 'other'
                    extra = ''
                    if kind == 'file':
                        extra = '%d %s' % (st.st_size, hashlib.sha256(open(p, 'rb').read()).hexdigest())
                        inodes.setdefault(st.st_ino, []).append(rel)
                    elif kind == 'link':
                        extra = os.readlink(p)
                    mtime = st.st_mtime_ns // 10**9 if kind != 'link' else 0
                    out[rel] = '%s %o %d %s' % (kind, stat.S_IMODE(st.st_mode), mtime, extra)
            for paths in inodes.values():
                if len(paths) > 1:
                    for p in paths:
                        out[p] += ' linked:' + ','.join(sorted(paths))
            print(json.dumps(out))
            """, [root])
        #expect(result.status == 0, "\(result.stderr)")
        return try JSONDecoder().decode([String: String].self, from: result.stdout)
    }

    static func differences(_ a: [String: String], _ b: [String: String]) -> [String] {
        Set(a.keys).union(b.keys).sorted().compactMap { key in a[key] == b[key] ? nil : "\(key): \(a[key] ?? "absent") vs \(b[key] ?? "absent")" }
    }

    static func python(_ code: String, _ root: String) throws {
        let result = try Shell.python("import os, sys\nos.chdir(sys.argv[1])\n" + code, [root])
        #expect(result.status == 0, "\(result.stderr)")
    }

    /// Backs up `source` into `directory` with `extra` flags and returns the new archive's path
    /// and the command's output.
    static func backup(_ source: String, into directory: String, _ extra: [String], profile: String = "standard") throws -> (String, ProcessOutput) {
        let before = Set((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
        let result = try Sindri.run(["backup", "--home", source, "-o", directory + "/", "-p", profile] + extra)
        #expect(result.status == 0, "\(result.stderr)")
        let after = Set(try FileManager.default.contentsOfDirectory(atPath: directory))
        let made = after.subtracting(before).filter { $0.hasSuffix(".tar.gz") }
        #expect(made.count == 1)
        // The next backup must have a later created_at than this one (whole seconds).
        usleep(1_100_000)
        return (directory + "/" + (made.first ?? "missing"), result)
    }

    struct Chain {
        var archives: [String] = []
        var trees: [[String: String]] = []
        var outputs: [ProcessOutput] = []
    }

    /// A full backup and four incrementals, each after a different kind of change.
    static func makeChain(_ temp: TemporaryDirectory) throws -> (source: String, backups: String, chain: Chain) {
        let source = temp.sub("source")
        let backups = temp.sub("backups")
        _ = try RestoreFixtures.smallHome(at: source)
        try python("""
            os.makedirs('workspace/projects/lib', exist_ok=True)
            for i in range(40):
                open('workspace/projects/lib/m%02d.txt' % i, 'w').write('module %d\\n' % i * 50)
            open('workspace/projects/app/thing', 'w').write('a file that becomes a directory\\n')
            """, source)
        var chain = Chain()
        func step(_ extra: [String] = ["--incremental"]) throws {
            let (archive, output) = try backup(source, into: backups, extra)
            chain.archives.append(archive)
            chain.outputs.append(output)
            chain.trees.append(try tree(source))
        }
        // 0: --incremental with no earlier backup: a full one.
        try step()
        // 1: an edit, a deletion, a rename, a mode change, a new file.
        try python("""
            open('workspace/projects/app/main.swift', 'w').write('print("edited")\\n')
            os.utime('workspace/projects/app/main.swift', (1_650_000_000, 1_650_000_000))
            os.remove('workspace/projects/app/secret.env')
            os.rename('workspace/projects/lib/m03.txt', 'workspace/projects/lib/renamed.txt')
            os.chmod('workspace/scripts/run.sh', 0o700)
            open('workspace/projects/new.txt', 'w').write('new\\n')
            """, source)
        try step()
        // 2: a symlink retargeted, a file replaced by a directory, a new hard link pair.
        try python("""
            os.remove('workspace/projects/app/link-to-readme')
            os.symlink('main.swift', 'workspace/projects/app/link-to-readme')
            os.remove('workspace/projects/app/thing')
            os.makedirs('workspace/projects/app/thing/inside')
            open('workspace/projects/app/thing/inside/f.txt', 'w').write('inside\\n')
            open('workspace/projects/lib/pair-a.txt', 'w').write('shared inode\\n')
            os.link('workspace/projects/lib/pair-a.txt', 'workspace/projects/lib/pair-b.txt')
            """, source)
        try step()
        // 3: the directory replaced by a file again; a hard link to an unchanged file.
        try python("""
            import shutil
            shutil.rmtree('workspace/projects/app/thing')
            open('workspace/projects/app/thing', 'w').write('a file again\\n')
            os.link('workspace/projects/lib/m10.txt', 'workspace/projects/lib/m10-link.txt')
            """, source)
        try step()
        // 4: a file changed with its size and mtime put back: --rehash compares its content.
        try python("""
            st = os.stat('workspace/projects/lib/m20.txt')
            data = open('workspace/projects/lib/m20.txt', 'rb').read()
            open('workspace/projects/lib/m20.txt', 'wb').write(data.replace(b'module', b'MODULE'))
            os.utime('workspace/projects/lib/m20.txt', ns=(st.st_atime_ns, st.st_mtime_ns))
            """, source)
        try step(["--incremental", "--rehash"])
        return (source, backups, chain)
    }

    @Test("each link of a chain restores exactly the tree as of that backup; GNU tar extracts each incremental's changed files")
    func everyLinkRestoresItsTree() throws {
        let temp = try TemporaryDirectory("inc-chain")
        let (_, _, chain) = try Self.makeChain(temp)
        #expect(chain.outputs[0].stderr.contains("making a full backup"), "\(chain.outputs[0].stderr)")
        #expect(!chain.archives[0].hasSuffix("-inc.tar.gz"))
        #expect(chain.archives.dropFirst().allSatisfy { $0.hasSuffix("-inc.tar.gz") })
        #expect(chain.outputs[1].stdoutText.contains("incremental on ") || chain.outputs[1].stderr.contains("incremental on "))
        for (index, archive) in chain.archives.enumerated() {
            let home = temp.sub("restored-\(index)")
            let restore = try Sindri.run(["restore", archive, "--home", home, "--no-interactive"])
            #expect(restore.status == 0, "link \(index): \(restore.stderr)")
            let restored = try Self.tree(home)
            let differences = Self.differences(restored, chain.trees[index])
            #expect(differences.isEmpty, "link \(index) restores another tree: \(differences.prefix(8))")
        }
        // An incremental holds the changed files only, and GNU tar extracts them: every file
        // whose content its own index says it holds comes out with that SHA-256, and no other.
        for (index, archive) in chain.archives.enumerated().dropFirst() {
            let out = temp.sub("tar-\(index)")
            let tar = try Shell.run(["tar", "-xzf", archive, "-C", out])
            #expect(tar.status == 0, "GNU tar on link \(index): \(tar.stderr)")
            let check = try Shell.python("""
                import hashlib, json, os, sys
                out = sys.argv[1]
                own = json.load(open(os.path.join(out, '.backup-manifest.json')))['checksum']['value']
                rows = [json.loads(l) for l in open(os.path.join(out, '.sindri/backup-index.jsonl'))][1:]
                held, problems = 0, []
                for r in rows:
                    if r['type'] != 'file':
                        continue
                    p = os.path.join(out, r['path'])
                    if r['archive'] == own:
                        held += 1
                        if not os.path.isfile(p) or hashlib.sha256(open(p, 'rb').read()).hexdigest() != r['sha256']:
                            problems.append('missing or different: ' + r['path'])
                    elif os.path.lexists(p):
                        problems.append('an unchanged file is in the incremental: ' + r['path'])
                print(held, '; '.join(problems[:5]))
                """, [out])
            #expect(check.status == 0, "\(check.stderr)")
            let fields = check.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ", maxSplits: 1)
            #expect((Int(fields.first ?? "") ?? 0) > 0 && fields.count == 1, "link \(index): \(check.stdoutText)")
        }
        let tar1 = temp.path + "/tar-1/"
        #expect(FileManager.default.contents(atPath: tar1 + "workspace/projects/app/main.swift") == Data("print(\"edited\")\n".utf8))
        #expect(FileManager.default.fileExists(atPath: tar1 + "workspace/projects/lib/renamed.txt"))
        #expect(FileManager.default.fileExists(atPath: tar1 + "workspace/projects/new.txt"))
        #expect(!FileManager.default.fileExists(atPath: tar1 + "workspace/projects/lib/m05.txt"), "an unchanged file is not in the incremental")
        #expect(!FileManager.default.fileExists(atPath: tar1 + "workspace/projects/app/data.bin"))
        #expect(FileManager.default.contents(atPath: temp.path + "/tar-4/workspace/projects/lib/m20.txt").map { $0.starts(with: Data("MODULE".utf8)) } == true,
                "--rehash archived the file changed with its mtime put back")
        // The index is readable with standard tools.
        let index = try Shell.bash("tar -xzOf '\(chain.archives[2])' .sindri/backup-index.jsonl | python3 -c 'import json,sys; rows=[json.loads(l) for l in sys.stdin]; print(rows[0][\"entries\"], len(rows)-1, sum(1 for r in rows[1:] if r.get(\"type\")==\"file\"))'")
        #expect(index.status == 0, "\(index.stderr)")
        let figures = index.stdoutText.split(separator: " ").map { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1 }
        #expect(figures.count == 3 && figures[0] == figures[1] && figures[2] > 40, "\(index.stdoutText)")
    }

    @Test("without --rehash, a file rewritten with its size and mtime put back is still caught (by its ctime); verify and list walk the chain")
    func missedWithoutRehashAndChainInspection() throws {
        let temp = try TemporaryDirectory("inc-missed")
        let source = temp.sub("source")
        let backups = temp.sub("backups")
        _ = try RestoreFixtures.smallHome(at: source)
        let (full, _) = try Self.backup(source, into: backups, [])
        // Same size, same mtime, same inode: only the ctime moved, and that is enough.
        try Self.python("""
            st = os.stat('workspace/projects/app/main.swift')
            open('workspace/projects/app/main.swift', 'w').write('print("HELLO")\\n')
            os.utime('workspace/projects/app/main.swift', ns=(st.st_atime_ns, st.st_mtime_ns))
            """, source)
        let (caught, _) = try Self.backup(source, into: backups, ["--incremental"])
        let home = temp.sub("restored")
        #expect(try Sindri.run(["restore", caught, "--home", home, "--no-interactive"]).status == 0)
        #expect(FileManager.default.contents(atPath: home + "/workspace/projects/app/main.swift") == Data("print(\"HELLO\")\n".utf8))
        // verify checks both archives; list shows the chain and what each link changed.
        let verify = try Sindri.run(["verify", caught])
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect(verify.stdoutText.contains("chain:     2 archives"), "\(verify.stdoutText)")
        let list = try Sindri.run(["list", caught])
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdoutText.contains((full as NSString).lastPathComponent), "\(list.stdoutText)")
        #expect(list.stdoutText.contains("0 added, 1 changed, 0 deleted"), "\(list.stdoutText)")
    }

    @Test("merge and full restores of a chain: one plan, one snapshot, one journal; PATHs and --dry-run work on chains; rollback undoes it")
    func modesPathsAndDryRunOnAChain() throws {
        let temp = try TemporaryDirectory("inc-modes")
        let (_, _, chain) = try Self.makeChain(temp)
        let newest = chain.archives[4]
        for mode in ["merge", "full"] {
            let home = temp.sub("home-\(mode)")
            try Fixture(root: home).file("workspace/projects/app/main.swift", "the user's version\n")
            try Fixture(root: home).file("mine.txt", "mine\n")
            let before = try TransactionCrashTests.treeState(home)
            let dry = try Sindri.run(["restore", newest, "--home", home, "--no-interactive", "--mode", mode, "--dry-run"])
            #expect(dry.status == 0, "\(dry.stderr)")
            #expect(try TransactionCrashTests.treeState(home) == before, "--dry-run changed the home")
            #expect(!FileManager.default.fileExists(atPath: home + "/.sindri"))
            let restore = try Sindri.run(["restore", newest, "--home", home, "--no-interactive", "--mode", mode])
            #expect(restore.status == 0, "\(mode): \(restore.stderr)")
            #expect(FileManager.default.contents(atPath: home + "/workspace/projects/app/main.swift") == Data("print(\"edited\")\n".utf8))
            #expect(FileManager.default.fileExists(atPath: home + "/mine.txt"))
            #expect(!FileManager.default.fileExists(atPath: home + "/workspace/projects/app/secret.env"), "a file deleted before the newest backup came back")
            let journals = try FileManager.default.contentsOfDirectory(atPath: home + "/.sindri/journals")
            let snapshots = try FileManager.default.contentsOfDirectory(atPath: home + "/.sindri/restore-snapshots")
            #expect(journals.count == 1 && snapshots.count == 1, "\(journals) \(snapshots)")
            if mode == "merge" {
                #expect(FileManager.default.contents(atPath: home + "/workspace/projects/app/main.swift.bak") == Data("the user's version\n".utf8))
            }
            let rollback = try Sindri.run(["rollback", "--home", home, "--no-interactive"])
            #expect(rollback.status == 0, "\(rollback.stderr)")
            #expect(try TransactionCrashTests.treeState(home) == before, "\(mode): rollback did not give back the prior tree")
        }
        // Some paths only: the newest version of each, from whichever archive holds it.
        let home = temp.sub("home-paths")
        let partial = try Sindri.run(["restore", newest, "--home", home, "--no-interactive", "workspace/projects/lib", "workspace/projects/app/thing"])
        #expect(partial.status == 0, "\(partial.stderr)")
        let restored = try Self.tree(home).filter { !$0.key.hasPrefix(".sindri") }
        let expected = chain.trees[4].filter { $0.key.hasPrefix("workspace/projects/lib") || $0.key == "workspace/projects/app/thing" }
        let missing = Self.differences(restored.filter { expected[$0.key] != nil }, expected)
        #expect(missing.isEmpty, "\(missing.prefix(8))")
        #expect(restored["workspace/projects/app/main.swift"] == nil)
        let notFound = try Sindri.run(["restore", newest, "--home", temp.sub("home-none"), "--no-interactive", "workspace/projects/app/secret.env"])
        #expect(notFound.status == 2, "a file deleted before the newest backup is not in its tree: \(notFound.stderr)")
        // sindri backups shows the chain.
        let backups = try Sindri.run(["backups", (newest as NSString).deletingLastPathComponent])
        #expect(backups.status == 0, "\(backups.stderr)")
        // A header, then newest first: the newest incremental names the full its chain starts from.
        let lines = backups.stdoutText.split(separator: "\n").map(String.init).dropFirst()
        #expect(lines.count == 5 && lines.filter { $0.hasPrefix("incremental") }.count == 4, "\(lines)")
        #expect(lines.first?.contains("chain starts at \((chain.archives[0] as NSString).lastPathComponent)") == true, "\(lines)")
        #expect(lines.last?.hasPrefix("full") == true, "\(lines)")
    }

    @Test("a chain with a deleted middle link is refused before any write, naming the missing archive (exit 4)")
    func missingMiddleLinkIsRefused() throws {
        let temp = try TemporaryDirectory("inc-missing")
        let (_, _, chain) = try Self.makeChain(temp)
        let gone = chain.archives[2]
        #expect(unlink(gone) == 0)
        let home = temp.sub("target")
        try Fixture(root: home).file("mine.txt", "the user's own file\n")
        let before = try HomeSnapshot.take(home)
        let restore = try Sindri.run(["restore", chain.archives[4], "--home", home, "--no-interactive", "--mode", "full"])
        #expect(restore.status == 4, "\(restore.stderr)")
        #expect(restore.stderr.contains((gone as NSString).lastPathComponent), "\(restore.stderr)")
        #expect(try HomeSnapshot.take(home) == before, "the home changed")
        let verify = try Sindri.run(["verify", chain.archives[4]])
        #expect(verify.status == 4)
        // Refused before the home is even locked: with `.sindri` a plain file (where the lock and
        // the staging area would go), the refusal is still the missing link's, not the lock's.
        let blocked = temp.sub("blocked")
        try Fixture(root: blocked).file(".sindri", "not a directory\n")
        let early = try HomeSnapshot.take(blocked)
        let refused = try Sindri.run(["restore", chain.archives[4], "--home", blocked, "--no-interactive"])
        #expect(refused.status == 4 && refused.stderr.contains((gone as NSString).lastPathComponent), "\(refused.stderr)")
        #expect(try HomeSnapshot.take(blocked) == early)
        // Link 1 does not need link 2.
        #expect(try Sindri.run(["restore", chain.archives[1], "--home", temp.sub("other"), "--no-interactive"]).status == 0)
    }

    @Test("a damaged base is refused before any write (exit 4), naming it; --base-dir finds bases elsewhere")
    func damagedBaseAndBaseDirectory() throws {
        let temp = try TemporaryDirectory("inc-damaged")
        let source = temp.sub("source")
        let backups = temp.sub("backups")
        _ = try RestoreFixtures.smallHome(at: source)
        let (full, _) = try Self.backup(source, into: backups, [])
        try Fixture(root: source).file("workspace/new.txt", "new\n")
        let (inc, _) = try Self.backup(source, into: backups, ["--incremental"])
        // Moved elsewhere: found with --base-dir.
        let elsewhere = temp.sub("elsewhere")
        let moved = elsewhere + "/" + (full as NSString).lastPathComponent
        #expect(rename(full, moved) == 0)
        let home = temp.sub("restored")
        #expect(try Sindri.run(["restore", inc, "--home", home, "--no-interactive"]).status == 4)
        let found = try Sindri.run(["restore", inc, "--home", home, "--no-interactive", "--base-dir", elsewhere])
        #expect(found.status == 0, "\(found.stderr)")
        #expect(FileManager.default.contents(atPath: home + "/workspace/projects/app/main.swift") != nil)
        // One flipped byte in the base's data.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: moved))
        bytes[bytes.count / 2] ^= 0x55
        try bytes.write(to: URL(fileURLWithPath: moved))
        let target = temp.sub("target")
        let refused = try Sindri.run(["restore", inc, "--home", target, "--no-interactive", "--base", moved])
        #expect(refused.status == 4, "\(refused.stderr)")
        #expect(refused.stderr.contains((moved as NSString).lastPathComponent), "\(refused.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: target).isEmpty)
    }

    /// The base is found by its manifest and its index read during the walk, after the archive
    /// was started under an incremental's name: that attempt must vanish without a trace.
    @Test("--incremental whose newest backup is damaged past its manifest makes a full backup, says why, and leaves nothing of the attempt")
    func unreadableNewestBaseFallsBackToFull() throws {
        let temp = try TemporaryDirectory("inc-unreadable")
        let source = temp.sub("source")
        let backups = temp.sub("backups")
        _ = try RestoreFixtures.smallHome(at: source)
        let (full, _) = try Self.backup(source, into: backups, [])
        // The manifest (the first gzip member) stays whole; the rest is cut short.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: full))
        try bytes.prefix(bytes.count * 6 / 10).write(to: URL(fileURLWithPath: full))
        let (made, output) = try Self.backup(source, into: backups, ["--incremental"])
        #expect(output.stderr.contains("cannot be a base") && output.stderr.contains("making a full backup"), "\(output.stderr)")
        #expect(!made.hasSuffix("-inc.tar.gz"), "\(made)")
        let left = try FileManager.default.contentsOfDirectory(atPath: backups)
        #expect(!left.contains { $0.contains("-inc") || $0.hasPrefix(".") }, "\(left)")
        #expect(try Shell.run(["tar", "-tzf", made]).status == 0)
    }

    @Test("an older sindri's format check refuses an incremental: its major version differs from a full archive's")
    func incrementalHasNewMajorVersion() throws {
        let temp = try TemporaryDirectory("inc-version")
        let source = temp.sub("source")
        let backups = temp.sub("backups")
        _ = try RestoreFixtures.smallHome(at: source)
        let (full, _) = try Self.backup(source, into: backups, [])
        try Fixture(root: source).file("workspace/new.txt", "new\n")
        let (inc, _) = try Self.backup(source, into: backups, ["--incremental"])
        let read = try Shell.bash("for a in '\(full)' '\(inc)'; do tar -xzOf \"$a\" .backup-manifest.json | python3 -c 'import json,sys; m=json.load(sys.stdin); print(m[\"version\"], m[\"backup_type\"], m.get(\"base\", {}).get(\"file_name\", \"-\"))'; done")
        #expect(read.status == 0, "\(read.stderr)")
        let lines = read.stdoutText.split(separator: "\n").map(String.init)
        #expect(lines.first == "1.1.0 standard -")
        #expect(lines.last == "2.0.0 incremental \((full as NSString).lastPathComponent)")
    }

    @Test("SIGKILL during a chain restore, at every stage: sindri rollback gives back the exact prior tree; restoring again completes")
    func killedChainRestoreRollsBack() throws {
        let temp = try TemporaryDirectory("inc-kill")
        let (_, target, archive) = try TransactionCrashTests.makeHomes(temp, files: 600)
        let source = temp.path + "/source"
        let backups = temp.sub("chain")
        let full = backups + "/sindri-backup-x-20200101-000000.tar.gz"
        #expect(rename(archive, full) == 0)
        try Self.python("""
            for i in range(0, 600, 5):
                p = 'workspace/projects/p%d/d%d/f%d.txt' % (i % 17, i % 29, i)
                open(p, 'a').write('changed\\n')
            """, source)
        let (inc, _) = try Self.backup(source, into: backups, ["--base", full], profile: "full")
        let before = try TransactionCrashTests.treeState(target)
        let reference = temp.path + "/reference"
        #expect(try Shell.run(["cp", "-a", target, reference]).status == 0)
        let clean = try Sindri.run(["restore", inc, "--home", reference, "--mode", "full", "--no-interactive"])
        #expect(clean.status == 0, "\(clean.stderr)")
        // Stage 1 inside the base: past every gzip member of the incremental itself.
        let members = try Shell.python("""
            import sys, zlib
            data, n = open(sys.argv[1], 'rb').read(), 0
            while data:
                d = zlib.decompressobj(31); d.decompress(data); data = d.unused_data; n += 1
            print(n)
            """, [inc])
        let inBase = (Int(members.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) + 3
        #expect(inBase > 3, "\(members.stderr)")
        let points: [ChainKillPoint] = [
            .signalHook("read", count: inBase), .fifo("locked"), .fifo("planned"), .fifo("snapshotted"),
            .fifo("before-apply"), .fifo("applying"), .fifo("before-attributes"),
        ]
        for point in points {
            let stopped = try ChainKillPoint.killRestore(inc, home: target, at: point, temp: temp)
            #expect(stopped, "\(point): the restore never reached the point")
            let rollback = try Sindri.run(["rollback", "--home", target, "--no-interactive"])
            #expect(rollback.status == 0, "\(point): \(rollback.stderr)")
            #expect(try TransactionCrashTests.treeState(target) == before, "\(point): the home differs from before")
        }
        let again = try Sindri.run(["restore", inc, "--home", target, "--mode", "full", "--no-interactive"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try TransactionCrashTests.treeState(target, directoryTimes: false) == TransactionCrashTests.treeState(reference, directoryTimes: false))
    }
}

/// Where a chain restore is killed: a FIFO point of `SINDRI_TEST_PAUSE` (the restore waits there
/// until released), or the Nth arrival at a point of `SINDRI_TEST_PAUSE_AT` (it waits there for a
/// signal). Either way the kill lands at that exact point, whatever the machine's load.
enum ChainKillPoint: CustomStringConvertible {
    case fifo(String)
    case signalHook(String, count: Int)

    var description: String {
        switch self {
        case .fifo(let name): return name
        case .signalHook(let name, let count): return "\(name) #\(count)"
        }
    }

    /// Starts `sindri restore ARCHIVE --mode full` on `home`, waits (at most 120 s) until it is
    /// paused at `point`, SIGKILLs it and reaps it. False when it ended without reaching the point.
    static func killRestore(_ archive: String, home: String, at point: ChainKillPoint, temp: TemporaryDirectory) throws -> Bool {
        let signalFile = temp.path + "/paused-\(UUID().uuidString)"
        let fifo = temp.path + "/pause-\(UUID().uuidString).fifo"
        var environment = ProcessInfo.processInfo.environment
        switch point {
        case .fifo(let name):
            guard mkfifo(fifo, 0o600) == 0 else { return false }
            environment["SINDRI_TEST_PAUSE"] = "\(name):\(fifo)"
        case .signalHook(let name, let count):
            environment["SINDRI_TEST_PAUSE_AT"] = name
            environment["SINDRI_TEST_PAUSE_COUNT"] = String(count)
            environment["SINDRI_TEST_PAUSE_FILE"] = signalFile
        }
        // Opened before the restore starts, without waiting for a writer: the restore's write
        // of the point's name then never blocks, and polling it never hangs the test.
        let reader = FileManager.default.fileExists(atPath: fifo) ? open(fifo, O_RDONLY | O_NONBLOCK) : -1
        defer { if reader >= 0 { close(reader) } }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Sindri.binary)
        process.arguments = ["restore", archive, "--home", home, "--mode", "full", "--no-interactive"]
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        var reached = false
        let deadline = Date().addingTimeInterval(120)
        while !reached, process.isRunning, Date() < deadline {
            if reader >= 0 {
                var byte: UInt8 = 0
                reached = read(reader, &byte, 1) == 1
            } else {
                reached = FileManager.default.fileExists(atPath: signalFile)
            }
            if !reached { usleep(20_000) }
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return reached
    }
}
