import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Links already in the home must not carry a restore outside it, and names with control
/// characters are printed escaped.
@Suite("links in the home and hostile names (end to end)")
struct HostileHomeLinkTests {
    @Test("a symlinked directory in the home is never written through", arguments: ["safe", "merge", "full"])
    func symlinkedDirectoryInHome(mode: String) throws {
        let box = try RestoreSandbox("home-dirlink")
        try Fixture(root: box.home).symlink("workspace/projects", to: box.outside)
        let archive = box.file("projects.tar.gz")
        try ArchiveSpec([
            .directory("workspace/"), .directory("workspace/projects/"),
            .file("workspace/projects/x", "pwned\n"), .file("workspace/projects/file", "overwritten\n"),
            .directory("workspace/projects/dir/"), .file("workspace/projects/dir/y", "pwned\n"),
        ]).write(to: archive)
        let outsideBefore = try box.outsideSnapshot()
        let result = try box.restore(archive, mode: mode, ["--force"])
        #expect(OutputCheck.orderlyStatuses.contains(result.status), "status \(result.status), stderr: \(result.stderr)")
        let outsideAfter = try box.outsideSnapshot()
        #expect(outsideAfter == outsideBefore, "\(mode) wrote outside: \(outsideAfter.differences(from: outsideBefore))")
    }

    @Test("a home file that is a symlink to outside is replaced or refused, never written through", arguments: ["merge", "full"])
    func symlinkedFileInHome(mode: String) throws {
        let box = try RestoreSandbox("home-filelink")
        try Fixture(root: box.home).symlink(".gitconfig", to: box.outside + "/target")
        let archive = box.file("gitconfig.tar.gz")
        try ArchiveSpec([.file(".gitconfig", "[user]\n\tname = Archived\n")]).write(to: archive)
        let outsideBefore = try box.outsideSnapshot()
        let result = try box.restore(archive, mode: mode, ["--force"])
        #expect(OutputCheck.orderlyStatuses.contains(result.status), "status \(result.status), stderr: \(result.stderr)")
        let outsideAfter = try box.outsideSnapshot()
        #expect(outsideAfter == outsideBefore, "\(mode) wrote through the link: \(outsideAfter.differences(from: outsideBefore))")
        let info = try #require(lstatOf(box.home + "/.gitconfig"))
        if info.st_mode & S_IFMT == S_IFREG {
            #expect(box.read(".gitconfig") == "[user]\n\tname = Archived\n")
        } else {
            #expect(info.st_mode & S_IFMT == S_IFLNK)
            let target = try FileManager.default.destinationOfSymbolicLink(atPath: box.home + "/.gitconfig")
            #expect(target == box.outside + "/target")
        }
    }

    @Test("a home file hard-linked to a file outside is replaced, the outside file keeps its bytes", arguments: ["merge", "full"])
    func hardLinkedFileInHome(mode: String) throws {
        let box = try RestoreSandbox("home-hardlink")
        #expect(link(box.outside + "/target", box.home + "/.gitconfig") == 0)
        let archive = box.file("gitconfig.tar.gz")
        try ArchiveSpec([.file(".gitconfig", "[user]\n\tname = Archived\n")]).write(to: archive)
        let outsideBefore = try box.outsideSnapshot()
        let result = try box.restore(archive, mode: mode, ["--force"])
        #expect(OutputCheck.orderlyStatuses.contains(result.status), "status \(result.status), stderr: \(result.stderr)")
        let outsideAfter = try box.outsideSnapshot()
        #expect(outsideAfter == outsideBefore, "\(mode) wrote through the hard link: \(outsideAfter.differences(from: outsideBefore))")
        #expect(FileManager.default.contents(atPath: box.outside + "/target") == Data("link target outside the home\n".utf8))
        if result.status == 0 {
            #expect(box.read(".gitconfig") == "[user]\n\tname = Archived\n")
        }
    }

    @Test("a symlinked home parent of a missing file is not followed in safe mode either")
    func symlinkedParentOfMissingFile() throws {
        let box = try RestoreSandbox("home-parentlink")
        try Fixture(root: box.home).symlink(".config", to: box.outside + "/dir")
        let archive = box.file("config.tar.gz")
        try ArchiveSpec([.directory(".config/"), .directory(".config/app/"), .file(".config/app/settings.json", "{}\n")])
            .write(to: archive)
        let outsideBefore = try box.outsideSnapshot()
        let result = try box.restore(archive)
        #expect(OutputCheck.orderlyStatuses.contains(result.status), "status \(result.status), stderr: \(result.stderr)")
        #expect(try box.outsideSnapshot() == outsideBefore)
    }

    static let escapeName = "evil\u{1B}[31mred"
    static let newlineName = "new\nline-XYZZY"

    @Test("names with ESC and newline restore, and every message prints them escaped", arguments: [
        ["restore", "-v"], ["restore", "--dry-run", "-v"], ["restore", "--mode", "merge", "-v"], ["verify"],
    ])
    func controlCharactersEscaped(command: [String]) throws {
        let box = try RestoreSandbox("names")
        let archive = box.file("names.tar.gz")
        try ArchiveSpec([
            .file(Self.escapeName, "escape\n"),
            .file(Self.newlineName, "newline\n"),
            .directory("dir\u{1B}]0;title\u{07}/"),
            .file("dir\u{1B}]0;title\u{07}/inner", "inner\n"),
        ]).write(to: archive)
        if command.contains("merge") {
            try Fixture(root: box.home).file(Self.escapeName, "current\n")
        }
        var arguments = [command[0], archive] + command.dropFirst()
        if command[0] == "restore" { arguments += ["--home", box.home, "--no-interactive"] }
        let result = try Sindri.run(arguments, environment: ["HOME": box.envHome], cwd: box.envHome)
        #expect(result.status == 0, "\(command): status \(result.status), stderr: \(result.stderr)")
        #expect(!OutputCheck.hasRawEscape(result), "raw ESC in output: \(result.stdoutText.debugDescription) \(result.stderr.debugDescription)")
        #expect(!result.stdout.contains(0x07) && !result.stderr.utf8.contains(0x07), "raw BEL in output")
        let broken = OutputCheck.lines(result).filter { $0.hasPrefix("line-XYZZY") }
        #expect(broken.isEmpty, "a raw newline split a name: \(broken)")
        if command == ["restore", "-v"] {
            #expect(box.read(Self.escapeName) == "escape\n")
            #expect(box.read(Self.newlineName) == "newline\n")
            #expect(box.read("dir\u{1B}]0;title\u{07}/inner") == "inner\n")
        }
        if command.contains("merge") {
            #expect(box.read(Self.escapeName) == "escape\n")
            #expect(box.read(Self.escapeName + ".bak") == "current\n")
        }
        if command.contains("--dry-run") {
            #expect(!box.exists(Self.escapeName))
        }
    }
}
