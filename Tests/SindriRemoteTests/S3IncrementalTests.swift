import Foundation
import Testing
@testable import SindriRemote

/// Incremental backups kept on S3: the base found under the output's prefix and read with
/// ranged GETs, chains restored, verified and listed from S3, a missing link refused before
/// anything is written, and an incremental object read by the AWS CLI and GNU tar; and an
/// upload whose parts are spooled to a temporary file (the path of archives too large for
/// memory) still stores exactly the archive.
@Suite("incremental backups on S3", .enabled(if: S3TestServer.isAvailable, S3TestServer.skipReason), .serialized)
struct S3IncrementalTests {
    /// Per path under `root` (`.sindri` left out): type, permission bits, mtime in whole seconds
    /// (not for symlinks), and size with SHA-256 or the link target.
    static func tree(_ root: String) throws -> [String: String] {
        let script = """
            import os, sys, hashlib, stat, json
            root = sys.argv[1]; out = {}
            for d, ds, fs in os.walk(root):
                if os.path.relpath(d, root) == '.':
                    ds[:] = [x for x in ds if x != '.sindri']
                for n in ds + fs:
                    p = os.path.join(d, n); st = os.lstat(p); rel = os.path.relpath(p, root)
                    if stat.S_ISLNK(st.st_mode):
                        out[rel] = 'link ' + os.readlink(p)
                    elif stat.S_ISDIR(st.st_mode):
                        out[rel] = 'dir %o %d' % (stat.S_IMODE(st.st_mode), st.st_mtime_ns // 10**9)
                    else:
                        out[rel] = 'file %o %d %d %s' % (stat.S_IMODE(st.st_mode), st.st_mtime_ns // 10**9, st.st_size,
                                                         hashlib.sha256(open(p, 'rb').read()).hexdigest())
            print(json.dumps(out))
            """
        let result = try runTool(["python3", "-c", script, root])
        #expect(result.status == 0, "\(result.stderr)")
        return try JSONDecoder().decode([String: String].self, from: result.stdout)
    }

    static func differences(_ a: [String: String], _ b: [String: String]) -> [String] {
        Set(a.keys).union(b.keys).sorted().compactMap { key in a[key] == b[key] ? nil : "\(key): \(a[key] ?? "absent") vs \(b[key] ?? "absent")" }
    }

    static func python(_ code: String, in root: String) throws {
        let result = try runTool(["python3", "-c", "import os, sys\nos.chdir(sys.argv[1])\n" + code, root])
        #expect(result.status == 0, "\(result.stderr)")
    }

    /// Backs up `home` incrementally to `target`; returns the new object's key. Waits a second
    /// after, so the next backup's `created_at` (whole seconds) is later.
    static func backup(_ home: String, to target: String, server: S3TestServer, client: S3Client, prefix: String,
                       extra: [String] = ["--incremental"]) async throws -> (key: String, output: RemoteCLI.Output) {
        let before = Set(try await client.listObjects(bucket: server.bucket, prefix: prefix).map(\.key))
        let output = try RemoteCLI.run(["backup", "-p", "full", "--home", home, "-o", target, "--progress", "never"] + extra, server: server)
        #expect(output.status == 0, "\(output.stderr)")
        let made = Set(try await client.listObjects(bucket: server.bucket, prefix: prefix).map(\.key)).subtracting(before)
            .filter { $0.hasSuffix(".tar.gz") }
        #expect(made.count == 1, "\(made)")
        usleep(1_100_000)
        return (made.first ?? "missing", output)
    }

    /// A full backup and two incrementals to one prefix, the tree snapshotted after each.
    static func makeChain(server: S3TestServer, client: S3Client, scratch: RemoteCLI.Scratch, name: String)
        async throws -> (home: String, prefix: String, keys: [String], trees: [[String: String]], outputs: [RemoteCLI.Output]) {
        let home = scratch.path + "/home"
        try RemoteCLI.makeHome(at: home, bigMiB: 2)
        let prefix = S3TestServer.uniquePrefix(name)
        let target = "s3://\(server.bucket)/\(prefix)"
        var keys: [String] = [], trees: [[String: String]] = [], outputs: [RemoteCLI.Output] = []
        func step() async throws {
            let (key, output) = try await backup(home, to: target, server: server, client: client, prefix: prefix)
            keys.append(key)
            outputs.append(output)
            trees.append(try tree(home))
        }
        try await step()
        try python("""
            open('workspace/projects/app/src/file3.swift', 'w').write('let edited = 3\\n')
            os.remove('workspace/projects/app/src/file4.swift')
            os.rename('workspace/projects/app/src/file5.swift', 'workspace/projects/app/src/renamed.swift')
            os.chmod('.bashrc', 0o600)
            open('workspace/new.txt', 'w').write('new\\n')
            """, in: home)
        try await step()
        try python("""
            os.remove('workspace/link')
            os.symlink('projects/app/src', 'workspace/link')
            open('workspace/projects/app/src/file3.swift', 'w').write('let edited = 33\\n')
            os.makedirs('workspace/more')
            open('workspace/more/deep.txt', 'w').write('deep\\n')
            """, in: home)
        try await step()
        return (home, prefix, keys, trees, outputs)
    }

    @Test("full + 2 incrementals to an S3 prefix: each restores exactly its tree from S3; verify and list walk the chain; aws and GNU tar read an incremental")
    func chainOnS3() async throws {
        let server = try S3TestServer.shared()
        let client = try S3Client(configuration: try server.configuration())
        let scratch = try RemoteCLI.Scratch("s3-inc-chain")
        defer { scratch.remove() }
        let (_, prefix, keys, trees, outputs) = try await Self.makeChain(server: server, client: client, scratch: scratch, name: "inc-chain")
        #expect(outputs[0].stderr.contains("making a full backup"), "\(outputs[0].stderr)")
        #expect(!keys[0].hasSuffix("-inc.tar.gz"))
        #expect(keys.dropFirst().allSatisfy { $0.hasSuffix("-inc.tar.gz") }, "\(keys)")
        let base1 = String(keys[1].split(separator: "/").last!)
        #expect((outputs[2].stdout + outputs[2].stderr).contains("incremental on \(base1)"), "\(outputs[2].stdout) \(outputs[2].stderr)")
        for (index, key) in keys.enumerated() {
            let restored = scratch.path + "/restored-\(index)"
            try FileManager.default.createDirectory(atPath: restored, withIntermediateDirectories: true)
            let restore = try RemoteCLI.run(["restore", "s3://\(server.bucket)/\(key)", "--home", restored, "--no-interactive", "--progress", "never"], server: server)
            #expect(restore.status == 0, "link \(index): \(restore.stderr)")
            let differences = Self.differences(try Self.tree(restored), trees[index])
            #expect(differences.isEmpty, "link \(index) restores another tree: \(differences.prefix(8))")
        }
        let newest = "s3://\(server.bucket)/\(keys[2])"
        let verify = try RemoteCLI.run(["verify", newest, "--progress", "never"], server: server)
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect(verify.stdout.contains("chain:     3 archives"), "\(verify.stdout)")
        let list = try RemoteCLI.run(["list", newest], server: server)
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout.contains("Chain:       3 archives"), "\(list.stdout)")
        #expect(list.stdout.contains(String(keys[0].split(separator: "/").last!)), "\(list.stdout)")

        // The AWS CLI downloads the incremental; GNU tar extracts its changed files only.
        let local = scratch.path + "/inc.tar.gz"
        let copy = try runTool(["aws", "s3", "cp", newest, local], environment: server.environment())
        #expect(copy.status == 0, "\(copy.stderr)")
        let extracted = scratch.path + "/tar"
        try FileManager.default.createDirectory(atPath: extracted, withIntermediateDirectories: true)
        let tar = try runTool(["tar", "-xzf", local, "-C", extracted])
        #expect(tar.status == 0, "\(tar.stderr)")
        #expect(FileManager.default.contents(atPath: extracted + "/workspace/projects/app/src/file3.swift") == Data("let edited = 33\n".utf8))
        #expect(FileManager.default.fileExists(atPath: extracted + "/workspace/more/deep.txt"))
        #expect(!FileManager.default.fileExists(atPath: extracted + "/workspace/data.bin"), "an unchanged file is not in the incremental")
        #expect(try await client.listMultipartUploads(bucket: server.bucket, prefix: prefix).isEmpty)
    }

    @Test("a chain on S3 with its middle link deleted is refused before anything is written: one line naming the base, exit 4")
    func missingMiddleLink() async throws {
        let server = try S3TestServer.shared()
        let client = try S3Client(configuration: try server.configuration())
        let scratch = try RemoteCLI.Scratch("s3-inc-missing")
        defer { scratch.remove() }
        let (_, _, keys, _, _) = try await Self.makeChain(server: server, client: client, scratch: scratch, name: "inc-missing")
        try await client.deleteObject(S3Location(bucket: server.bucket, key: keys[1]))
        try await client.deleteObject(S3Location(bucket: server.bucket, key: keys[1] + ".sha256"))
        let home = scratch.path + "/existing"
        try FileManager.default.createDirectory(atPath: home + "/workspace", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: home + "/workspace/new.txt", contents: Data("mine\n".utf8))
        let before = try Self.tree(home)
        let newest = "s3://\(server.bucket)/\(keys[2])"
        let restore = try RemoteCLI.run(["restore", newest, "--home", home, "--no-interactive", "--mode", "full", "--progress", "never"], server: server)
        #expect(restore.status == 4, "\(restore.stdout) \(restore.stderr)")
        let missing = String(keys[1].split(separator: "/").last!)
        let lines = restore.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].contains(missing) && lines[0].contains("not found"), "\(restore.stderr)")
        #expect(try Self.tree(home) == before)
        #expect(!FileManager.default.fileExists(atPath: home + "/.sindri"), "nothing written, not even the tool's state")
        let verify = try RemoteCLI.run(["verify", newest, "--progress", "never"], server: server)
        #expect(verify.status == 4 && verify.stderr.contains(missing), "\(verify.stderr)")
    }

    @Test("--base names an S3 base under another prefix; restore finds it with --base-dir s3://…")
    func namedBaseElsewhere() async throws {
        let server = try S3TestServer.shared()
        let client = try S3Client(configuration: try server.configuration())
        let scratch = try RemoteCLI.Scratch("s3-inc-named")
        defer { scratch.remove() }
        let home = scratch.path + "/home"
        try RemoteCLI.makeHome(at: home, bigMiB: 1)
        let fulls = S3TestServer.uniquePrefix("inc-fulls")
        let incs = S3TestServer.uniquePrefix("inc-incs")
        let (full, _) = try await Self.backup(home, to: "s3://\(server.bucket)/\(fulls)", server: server, client: client, prefix: fulls, extra: [])
        try Self.python("open('workspace/projects/app/src/file1.swift', 'w').write('let changed = 1\\n')", in: home)
        let expected = try Self.tree(home)
        let (inc, output) = try await Self.backup(home, to: "s3://\(server.bucket)/\(incs)", server: server, client: client, prefix: incs,
                                                  extra: ["--incremental", "--base", "s3://\(server.bucket)/\(full)"])
        #expect(inc.hasSuffix("-inc.tar.gz"), "\(inc) \(output.stderr)")
        let restored = scratch.path + "/restored"
        try FileManager.default.createDirectory(atPath: restored, withIntermediateDirectories: true)
        let alone = try RemoteCLI.run(["restore", "s3://\(server.bucket)/\(inc)", "--home", restored, "--no-interactive", "--progress", "never"], server: server)
        #expect(alone.status == 4, "the base is under another prefix: \(alone.stderr)")
        let restore = try RemoteCLI.run(["restore", "s3://\(server.bucket)/\(inc)", "--home", restored, "--no-interactive", "--progress", "never",
                                         "--base-dir", "s3://\(server.bucket)/\(fulls)"], server: server)
        #expect(restore.status == 0, "\(restore.stderr)")
        #expect(Self.differences(try Self.tree(restored), expected).isEmpty)
    }

    @Test("parts spooled to a temporary file upload exactly the archive: sha256sum accepts the sidecar, restore gives the tree back")
    func spooledParts() async throws {
        let server = try S3TestServer.shared()
        let scratch = try RemoteCLI.Scratch("s3-spool")
        defer { scratch.remove() }
        let home = scratch.path + "/home"
        // Incompressible: 8 MiB first part, then two full 16 MiB parts and a last one.
        try RemoteCLI.makeHome(at: home, bigMiB: 44)
        let prefix = S3TestServer.uniquePrefix("spool")
        let spoolDirectory = scratch.path + "/spool"
        try FileManager.default.createDirectory(atPath: spoolDirectory, withIntermediateDirectories: true)
        let backup = try RemoteCLI.run(["backup", "-p", "full", "--home", home, "-o", "s3://\(server.bucket)/\(prefix)", "--progress", "never"],
                                       server: server, extra: ["SINDRI_S3_SPOOL_PARTS": "1", "TMPDIR": spoolDirectory])
        #expect(backup.status == 0, "\(backup.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: spoolDirectory).isEmpty, "the spool is unlinked")
        let client = try S3Client(configuration: try server.configuration())
        let key = try #require(try await client.listObjects(bucket: server.bucket, prefix: prefix).map(\.key).first { $0.hasSuffix(".tar.gz") })
        let name = String(key.split(separator: "/").last!)
        for suffix in ["", ".sha256"] {
            let copy = try runTool(["aws", "s3", "cp", "s3://\(server.bucket)/\(key)\(suffix)", scratch.path + "/" + name + suffix], environment: server.environment())
            #expect(copy.status == 0, "\(copy.stderr)")
        }
        let check = try runTool(["bash", "-c", "cd '\(scratch.path)' && sha256sum -c '\(name).sha256'"])
        #expect(check.status == 0, "\(check.stderr)")
        let restored = scratch.path + "/restored"
        try FileManager.default.createDirectory(atPath: restored, withIntermediateDirectories: true)
        let restore = try RemoteCLI.run(["restore", "s3://\(server.bucket)/\(key)", "--home", restored, "--no-interactive", "--progress", "never"], server: server)
        #expect(restore.status == 0, "\(restore.stderr)")
        #expect(try RemoteCLI.tree(restored) == RemoteCLI.tree(home))

        // The spool is really where the parts go: with nowhere to put it, the backup fails with
        // one clear line, and leaves no object and no unfinished upload behind.
        let failedPrefix = S3TestServer.uniquePrefix("spool-fail")
        let failed = try RemoteCLI.run(["backup", "-p", "full", "--home", home, "-o", "s3://\(server.bucket)/\(failedPrefix)", "--progress", "never"],
                                       server: server, extra: ["SINDRI_S3_SPOOL_PARTS": "1", "TMPDIR": scratch.path + "/no-such-directory"])
        #expect(failed.status != 0 && failed.stderr.contains("spool"), "\(failed.stderr)")
        #expect(try await client.listObjects(bucket: server.bucket, prefix: failedPrefix).isEmpty)
        #expect(try await client.listMultipartUploads(bucket: server.bucket, prefix: failedPrefix).isEmpty)
    }
}
