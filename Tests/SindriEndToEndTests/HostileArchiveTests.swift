import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Archives built to escape the home, write through links, create devices or exhaust memory.
/// Our writer never emits any of these constructs, so each whole archive is refused (exit 4) by
/// both verify and restore (full mode, --force), the home stays exactly as it was, and nothing
/// next to the home (the `outside` sentinel, the archive's folder, $HOME) changes.
@Suite("hostile archives (end to end)")
struct HostileArchiveTests {
    enum Hostile: String, CaseIterable, Sendable, CustomStringConvertible {
        case absoluteName
        case dotDotPrefix
        case dotDotInside
        case dotDotInPaxPath
        case dotDotInGNULongName
        case symlinkOutThenMemberThrough
        case absoluteSymlinkThenMemberThrough
        case symlinkToParentThenMemberThrough
        case symlinkChainOut
        case directoryReplacedBySymlink
        case symlinkOverEarlierMembers
        case hardLinkOutside
        case hardLinkAbsolute
        case hardLinkOutsideThenWrite
        case characterDevice
        case blockDevice
        case fifo
        case duplicateMember
        case hugeDeclaredSize
        case hugePaxSize
        case sizeFieldTwelveSevens
        case sizeFieldNegativeBase256

        var description: String { rawValue }

        var format: String {
            switch self {
            case .dotDotInPaxPath, .hugePaxSize: return "pax"
            default: return "gnu"
            }
        }

        /// The hostile members, after a harmless first file so that a streaming extractor would
        /// already have written something when it meets them.
        func members(outside: String) -> [TarMemberSpec] {
            let harmless = TarMemberSpec.file("harmless.txt", "written before the attack\n")
            switch self {
            case .absoluteName:
                return [harmless, .file(outside + "/absolute-pwned", "pwned\n")]
            case .dotDotPrefix:
                return [harmless, .file("../outside/dotdot-pwned", "pwned\n")]
            case .dotDotInside:
                return [harmless, .directory("a/"), .file("a/../../outside/inside-pwned", "pwned\n")]
            case .dotDotInPaxPath:
                return [harmless, TarMemberSpec(name: "innocent.txt", text: "pwned\n", pax: ["path": "../outside/pax-pwned"])]
            case .dotDotInGNULongName:
                return [harmless, .file(String(repeating: "x", count: 120) + "/../../outside/gnu-pwned", "pwned\n")]
            case .symlinkOutThenMemberThrough:
                return [harmless, .symlink("evil", to: "../outside"), .file("evil/pwned", "pwned\n")]
            case .absoluteSymlinkThenMemberThrough:
                return [harmless, .symlink("evil", to: outside), .file("evil/pwned", "pwned\n")]
            case .symlinkToParentThenMemberThrough:
                return [harmless, .symlink("up", to: ".."), .file("up/outside/pwned", "pwned\n")]
            case .symlinkChainOut:
                return [harmless, .symlink("a", to: "b"), .symlink("b", to: "../outside"), .file("a/x", "pwned\n")]
            case .directoryReplacedBySymlink:
                return [harmless, .directory("d/"), .symlink("d", to: "../outside"), .file("d/pwned", "pwned\n")]
            case .symlinkOverEarlierMembers:
                return [harmless, .file("s/inner", "x\n"), .symlink("s", to: "../outside")]
            case .hardLinkOutside:
                return [harmless, .hardLink("hl", to: "../outside/file")]
            case .hardLinkAbsolute:
                return [harmless, .hardLink("passwd", to: "/etc/passwd"), .hardLink("sentinel", to: outside + "/file")]
            case .hardLinkOutsideThenWrite:
                return [harmless, .hardLink("hl", to: "../outside/file"), .file("hl", "pwned through the link\n")]
            case .characterDevice:
                return [harmless, .device("null-again", type: "char", major: 1, minor: 3)]
            case .blockDevice:
                return [harmless, .device("loop-again", type: "block", major: 7, minor: 0)]
            case .fifo:
                return [harmless, TarMemberSpec(name: "pipe", type: "fifo")]
            case .duplicateMember:
                return [harmless, .file("dup.txt", "first\n"), .file("dup.txt", "second\n")]
            case .hugeDeclaredSize:
                return [harmless, TarMemberSpec(name: "huge.bin", text: "tiny", declaredSize: 1 << 40)]
            case .hugePaxSize:
                return [harmless, TarMemberSpec(name: "huge.bin", text: "tiny", pax: ["size": "1099511627776"])]
            case .sizeFieldTwelveSevens:
                return [harmless, TarMemberSpec(name: "sevens.bin", text: "tiny",
                                                patches: [.init(offset: 124, hex: String(repeating: "37", count: 12))])]
            case .sizeFieldNegativeBase256:
                return [harmless, TarMemberSpec(name: "negative.bin", text: "tiny",
                                                patches: [.init(offset: 124, hex: String(repeating: "ff", count: 12))])]
            }
        }

        func write(to path: String, outside: String) throws {
            try ArchiveSpec(format: format, members(outside: outside)).write(to: path)
        }
    }

    static func prepareHome(_ box: RestoreSandbox) throws {
        let home = Fixture(root: box.home)
        try home.file("existing.txt", "mine\n", mtime: 1_650_000_000)
        try home.file(".gitconfig", "[user]\n\tname = Current\n", mtime: 1_650_000_000)
        try home.directory("workspace/projects")
    }

    @Test("verify and restore refuse the whole archive (4); nothing changes inside or outside the home",
          arguments: Hostile.allCases.filter { $0 != .fifo })  // a FIFO member is ours: BackupSkippedFileTests restores it
    func hostileArchiveRefused(hostile: Hostile) throws {
        let box = try RestoreSandbox("hostile")
        try Self.prepareHome(box)
        let archive = box.file("hostile.tar.gz")
        try hostile.write(to: archive, outside: box.outside)
        let homeBefore = try box.homeSnapshot()
        let outsideBefore = try box.outsideSnapshot()

        let verified = try box.verify(archive)
        #expect(verified.status == 4, "verify \(hostile): status \(verified.status), stderr: \(verified.stderr)")
        for mode in ["safe", "merge", "full"] {
            let result = try box.restore(archive, mode: mode, ["--force"])
            #expect(result.status == 4, "restore \(mode) \(hostile): status \(result.status), stderr: \(result.stderr)")
            #expect(!result.stderr.isEmpty, "a refusal must say why")
        }
        let homeAfter = try box.homeSnapshot()
        #expect(homeAfter == homeBefore, "\(hostile) changed the home: \(homeAfter.differences(from: homeBefore))")
        let outsideAfter = try box.outsideSnapshot()
        #expect(outsideAfter == outsideBefore, "\(hostile) reached outside: \(outsideAfter.differences(from: outsideBefore))")
        var info = stat()
        #expect(lstat(box.outside + "/file", &info) == 0 && info.st_nlink == 1, "something was hard-linked to the sentinel")
    }

    @Test("the hostile archive builder makes what it claims (Python's tarfile reads the raw names back)")
    func hostileBuilderShape() throws {
        let box = try RestoreSandbox("hostile-shape")
        let expectations: [(Hostile, String)] = [
            (.absoluteName, "0 \(box.outside)/absolute-pwned"), (.dotDotPrefix, "0 ../outside/dotdot-pwned"),
            (.dotDotInPaxPath, "0 ../outside/pax-pwned"),
            (.dotDotInGNULongName, "0 " + String(repeating: "x", count: 120) + "/../../outside/gnu-pwned"),
            (.symlinkChainOut, "2 b -> ../outside"), (.directoryReplacedBySymlink, "2 d -> ../outside"),
            (.hardLinkOutside, "1 hl -> ../outside/file"), (.characterDevice, "3 null-again"), (.blockDevice, "4 loop-again"),
            (.fifo, "6 pipe"), (.hugeDeclaredSize, "size huge.bin 1099511627776"), (.hugePaxSize, "size huge.bin 1099511627776"),
        ]
        for (hostile, expected) in expectations {
            let archive = box.file("\(hostile).tar.gz")
            try hostile.write(to: archive, outside: box.outside)
            let listing = try Shell.python("""
                import gzip, io, sys, tarfile
                raw = gzip.open(sys.argv[1]).read()
                t = tarfile.open(fileobj=io.BytesIO(raw), mode='r:', ignore_zeros=False)
                while True:
                    try:
                        m = t.next()
                    except tarfile.ReadError:
                        break
                    if m is None:
                        break
                    print(m.type.decode() + ' ' + m.name + (' -> ' + m.linkname if m.linkname else ''))
                    if m.size > 1 << 30:
                        print('size %s %d' % (m.name, m.size))
                        break
                """, [archive])
            let lines = listing.stdoutText.split(separator: "\n").map(String.init)
            #expect(lines.first == "0 .backup-manifest.json", "\(hostile): \(lines)")
            #expect(lines.contains(expected), "\(hostile): \(lines) \(listing.stderr)")
        }
        #expect(try Shell.run(["tar", "-tvzf", box.file("fifo.tar.gz")]).stdoutText.contains("\np"))
    }

    @Test("absurd sizes fail fast without a huge allocation", arguments: [
        Hostile.hugeDeclaredSize, .hugePaxSize, .sizeFieldTwelveSevens, .sizeFieldNegativeBase256,
    ])
    func absurdSizeFailsCleanly(hostile: Hostile) throws {
        let box = try RestoreSandbox("absurd")
        try Self.prepareHome(box)
        let archive = box.file("absurd.tar.gz")
        try hostile.write(to: archive, outside: box.outside)
        #expect(try Data(contentsOf: URL(fileURLWithPath: archive)).count < 4096, "the archive itself must stay tiny")
        let before = try box.homeSnapshot()
        for arguments in [["verify", archive], ["restore", archive, "--home", box.home, "--mode", "full", "--force", "--no-interactive"]] {
            let run = try MeasuredRun.sindri(arguments, home: box.envHome, timeoutSeconds: 60)
            #expect(!run.timedOut, "\(hostile) \(arguments[0]) did not finish in 60 s")
            #expect(run.status == 4, "\(hostile) \(arguments[0]): status \(run.status), stderr: \(run.stderr)")
            #expect(run.maxResidentKiB < 256 * 1024, "\(hostile) \(arguments[0]) peaked at \(run.maxResidentKiB) KiB")
        }
        #expect(try box.homeSnapshot() == before)
    }

    @Test("setuid and setgid bits are stripped on restore", arguments: ["safe", "full"])
    func setIDBitsStripped(mode: String) throws {
        let box = try RestoreSandbox("setuid")
        let archive = box.file("setuid.tar.gz")
        try ArchiveSpec([
            .file("bin/suid-tool", "#!/bin/sh\n", mode: 0o4755),
            .file("bin/sgid-tool", "#!/bin/sh\n", mode: 0o2755),
            .file("bin/both", "#!/bin/sh\n", mode: 0o6750),
        ]).write(to: archive)
        let outsideBefore = try box.outsideSnapshot()
        let result = try box.restore(archive, mode: mode)
        #expect(result.status == 0 || result.status == 3, "stderr: \(result.stderr)")
        for (name, expected) in [("bin/suid-tool", 0o755), ("bin/sgid-tool", 0o755), ("bin/both", 0o750)] {
            let info = lstatOf(box.home + "/" + name)
            #expect(info.map { Int($0.st_mode & 0o7777) } == expected, "\(name): \(String(info.map { Int($0.st_mode & 0o7777) } ?? -1, radix: 8))")
        }
        #expect(try box.outsideSnapshot() == outsideBefore)
    }
}
