import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Each exclusion flag on a fixture tree: what the archive holds, and what `--dry-run -v` says.
@Suite("exclusion flags (end to end)")
struct CLIExclusionTests {
    static let cacheSignature = "Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag.\n"
    static let root = "workspace/projects/"

    /// The fixture: a project with logs and a secret folder, a tagged cache, a falsely tagged one,
    /// a folder marked `.nobackup`, and files just under, at and over 2 KiB.
    static func home(_ temp: TemporaryDirectory) throws -> String {
        let home = temp.sub("home")
        let f = Fixture(root: home)
        let p = root
        try f.file(p + "app/main.swift", "print(1)\n")
        try f.file(p + "app/debug.log", "noise\n")
        try f.file(p + "app/keep.log", "important\n")
        try f.file(p + "app/secret/key", "k\n")
        try f.file(p + "cache/CACHEDIR.TAG", cacheSignature)
        try f.file(p + "cache/blob.bin", "cached\n")
        try f.file(p + "cache/sub/more.bin", "cached\n")
        try f.file(p + "fake-cache/CACHEDIR.TAG", "Signature: not the right one\n")
        try f.file(p + "fake-cache/blob.bin", "kept\n")
        try f.file(p + "skipme/.nobackup", "")
        try f.file(p + "skipme/file.txt", "x\n")
        try f.file(p + "sizes/under", String(repeating: "u", count: 2047))
        try f.file(p + "sizes/exact", String(repeating: "e", count: 2048))
        try f.file(p + "sizes/over", String(repeating: "o", count: 2049))
        return home
    }

    static let excludeFile = """
        # logs are noise, except the one we keep
        *.log
        !keep.log

        secret/
        """

    /// The archive's members (directories with a trailing /), under `root`.
    static func backUp(_ temp: TemporaryDirectory, _ home: String, _ flags: [String], environment: [String: String] = [:]) throws -> Set<String> {
        let archive = temp.path + "/out-\(UUID().uuidString.prefix(6)).tar.gz"
        let run = try Sindri.run(["backup", "--home", home, "-o", archive] + flags, environment: environment)
        #expect(run.status == 0, "\(flags): \(run.stderr)")
        return Set(try CLIFiles.members(archive).filter { $0.hasPrefix(root) }.map { String($0.dropFirst(root.count)) })
    }

    /// `--dry-run -v` lines, keyed by path (relative to `root`, directories with a trailing /).
    static func decisions(_ home: String, _ flags: [String]) throws -> [String: String] {
        let run = try Sindri.run(["backup", "--home", home, "--dry-run", "-v", "-o", "/tmp/"] + flags)
        #expect(run.status == 0, "\(run.stderr)")
        var result: [String: String] = [:]
        for line in CLIFiles.lines(run.stdoutText) {
            let parts = line.split(separator: "\t", maxSplits: 1).map(String.init)
            guard parts.count == 2, parts[0].count > 2 else { continue }
            let path = String(parts[0].dropFirst(2))
            guard path.hasPrefix(root) else { continue }
            result[String(path.dropFirst(root.count))] = String(parts[0].prefix(1)) + " " + parts[1]
        }
        return result
    }

    @Test("--exclude-file: # comments, blank lines, ! re-includes, directory patterns")
    func excludeFile() throws {
        let temp = try TemporaryDirectory("excl-file")
        let home = try Self.home(temp)
        let rules = temp.path + "/rules"
        try Self.excludeFile.write(toFile: rules, atomically: true, encoding: .utf8)
        let members = try Self.backUp(temp, home, ["--exclude-file", rules])
        #expect(!members.contains("app/debug.log"))
        #expect(members.contains("app/keep.log"))
        #expect(!members.contains("app/secret/") && !members.contains("app/secret/key"))
        #expect(members.contains("app/main.swift"))
        let decided = try Self.decisions(home, ["--exclude-file", rules])
        #expect(decided["app/debug.log"] == "- (*.log)", "\(decided)")
        #expect(decided["app/secret/"] == "- (secret/)", "\(decided)")
        #expect(decided["app/keep.log"]?.hasPrefix("+ ") == true)
    }

    @Test("--exclude on the command line comes after the exclude file and wins")
    func commandLineAfterFile() throws {
        let temp = try TemporaryDirectory("excl-order")
        let home = try Self.home(temp)
        let rules = temp.path + "/rules"
        try Self.excludeFile.write(toFile: rules, atomically: true, encoding: .utf8)
        let members = try Self.backUp(temp, home, ["--exclude-file", rules, "--exclude", "!debug.log"])
        #expect(members.contains("app/debug.log"))
    }

    @Test("a malformed pattern in an exclude file is a usage error naming the file")
    func badExcludeFile() throws {
        let temp = try TemporaryDirectory("excl-bad")
        let home = try Self.home(temp)
        let rules = temp.path + "/rules"
        try "ok.txt\n[unterminated\n".write(toFile: rules, atomically: true, encoding: .utf8)
        let run = try Sindri.run(["backup", "--home", home, "-o", temp.path + "/x.tar.gz", "--exclude-file", rules])
        #expect(run.status == 64)
        #expect(run.stderr.contains(rules), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: temp.path + "/x.tar.gz"))
    }

    @Test("--exclude-caches: a valid CACHEDIR.TAG empties its directory but for the tag; a false one does nothing")
    func excludeCaches() throws {
        let temp = try TemporaryDirectory("excl-caches")
        let home = try Self.home(temp)
        let without = try Self.backUp(temp, home, [])
        #expect(without.contains("cache/blob.bin"))
        let members = try Self.backUp(temp, home, ["--exclude-caches"])
        #expect(members.contains("cache/") && members.contains("cache/CACHEDIR.TAG"))
        #expect(!members.contains("cache/blob.bin") && !members.contains("cache/sub/") && !members.contains("cache/sub/more.bin"))
        #expect(members.contains("fake-cache/blob.bin"))
        let decided = try Self.decisions(home, ["--exclude-caches"])
        #expect(decided["cache/blob.bin"] == "- (--exclude-caches)", "\(decided)")
        #expect(decided["cache/sub/"] == "- (--exclude-caches)", "\(decided)")
    }

    @Test("--exclude-if-present: a directory holding the marker is left out entirely")
    func excludeIfPresent() throws {
        let temp = try TemporaryDirectory("excl-present")
        let home = try Self.home(temp)
        let members = try Self.backUp(temp, home, ["--exclude-if-present", ".nobackup"])
        #expect(!members.contains { $0.hasPrefix("skipme") }, "\(members.sorted())")
        #expect(members.contains("app/main.swift"))
        let decided = try Self.decisions(home, ["--exclude-if-present", ".nobackup"])
        #expect(decided["skipme/"] == "- (--exclude-if-present .nobackup)", "\(decided)")
        // Repeatable: a second marker name.
        let both = try Self.backUp(temp, home, ["--exclude-if-present", ".nothing", "--exclude-if-present", "CACHEDIR.TAG"])
        #expect(!both.contains { $0.hasPrefix("cache") })
        #expect(both.contains("skipme/file.txt"))
    }

    @Test("--exclude-larger-than: strictly larger files are skipped; suffixes are powers of 1024", arguments: [
        ("2k", ["sizes/under", "sizes/exact"], ["sizes/over"]),
        ("2048", ["sizes/under", "sizes/exact"], ["sizes/over"]),
        ("2047B", ["sizes/under"], ["sizes/exact", "sizes/over"]),
        ("1M", ["sizes/under", "sizes/exact", "sizes/over"], []),
    ])
    func excludeLargerThan(size: String, kept: [String], dropped: [String]) throws {
        let temp = try TemporaryDirectory("excl-larger")
        let home = try Self.home(temp)
        let members = try Self.backUp(temp, home, ["--exclude-larger-than", size])
        for path in kept { #expect(members.contains(path), "\(size): \(path) should be kept") }
        for path in dropped { #expect(!members.contains(path), "\(size): \(path) should be skipped") }
        if let first = dropped.first {
            #expect(try Self.decisions(home, ["--exclude-larger-than", size])[first] == "- (--exclude-larger-than)")
        }
    }

    /// `/dev` holds mount points (`/dev/pts`, `/dev/shm`) in most containers and hosts.
    static let devHasMountPoint: Bool = {
        var dev = stat(), pts = stat()
        return stat("/dev", &dev) == 0 && stat("/dev/pts", &pts) == 0 && dev.st_dev != pts.st_dev
    }()

    @Test("--one-file-system (-x): a mount point is kept empty, with the rule named", .enabled(if: devHasMountPoint))
    func oneFileSystem() throws {
        // A dry run over /dev: nothing is read or written, and /dev/pts is another filesystem.
        let with = try Sindri.run(["backup", "--home", "/dev", "-p", "full", "--dry-run", "-v", "-x", "-o", "/tmp/"])
        let pts = CLIFiles.lines(with.stdoutText).filter { $0.contains(" pts/") }
        #expect(pts.count == 1 && pts[0].contains("--one-file-system"), "\(pts)")
        #expect(!with.stderr.contains("pts/"), "nothing below the mount point is visited: \(with.stderr)")
        let without = try Sindri.run(["backup", "--home", "/dev", "-p", "full", "--dry-run", "-v", "-o", "/tmp/"])
        #expect(!without.stdoutText.contains("--one-file-system"))
        #expect(without.stderr.contains("pts/") || without.stdoutText.contains("pts/"), "pts is descended into without -x")
    }
}
