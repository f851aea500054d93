import Foundation
import Testing

/// docs/sindri.1 must say what `--help` says, and render cleanly.
@Suite("man page is current and warning-free")
struct ManPageCurrencyTests {
    static let page = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/sindri.1").path

    /// The long options a command's `--help` lists (`--json`, `--exclude-file`, ...).
    static func helpOptions(_ command: String) throws -> Set<String> {
        let help = try Sindri.run([command, "--help"])
        #expect(help.status == 0)
        var options = Set<String>()
        for line in help.stdoutText.split(separator: "\n") {
            let trimmed = line.drop { $0 == " " }
            // Option lines start with the option itself: "-q, --quiet", "--json".
            guard trimmed.hasPrefix("-") else { continue }
            for word in trimmed.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "<" || $0 == "=" })
            where word.hasPrefix("--") && word.count > 2 {
                options.insert(String(word))
            }
        }
        return options
    }

    /// The part of the man page that documents `command` (its `.It Em command` item).
    static func section(_ command: String, in page: String) -> String {
        guard let start = page.range(of: ".It Em \(command)\n") else { return "" }
        let rest = page[start.upperBound...]
        let end = rest.range(of: "\n.It Em ")?.lowerBound ?? rest.endIndex
        return String(rest[..<end])
    }

    @Test("every option --help lists is in the man page, under its command",
          arguments: ["backup", "restore", "verify", "rollback", "list", "bench"])
    func optionsDocumented(command: String) throws {
        let page = try String(contentsOfFile: Self.page, encoding: .utf8)
        let section = Self.section(command, in: page)
        #expect(!section.isEmpty, "no section for \(command)")
        let options = try Self.helpOptions(command).subtracting(["--help", "--version"])
        #expect(options.contains("--json") && options.contains("--quiet") && options.contains("--progress"))
        for option in options {
            let flag = "-" + option.dropFirst(2)  // mdoc writes --json as "Fl -json"
            #expect(section.contains("Fl \(flag)") || section.contains(", \(flag)"),
                    "docs/sindri.1 lacks \(option) of \(command): regenerate it with scripts/generate-manpage.sh")
        }
    }

    @Test("the exit status section lists every code, the lock's 11 included")
    func exitStatus() throws {
        let page = try String(contentsOfFile: Self.page, encoding: .utf8)
        let section = page.components(separatedBy: ".Sh \"EXIT STATUS\"").last ?? ""
        #expect(!section.contains(".Ex -std"), "the generic exit status")
        for code in ["0", "1", "3", "4", "5", "6", "11", "64", "130", "143"] {
            #expect(section.contains(".It \(code)\n"), "EXIT STATUS lacks \(code)")
        }
    }

    @Test("man --warnings prints nothing")
    func noWarnings() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/man") else {
            Issue.record("man is not installed: scripts/install-deps.sh --test-tools installs man-db and groff-base")
            return
        }
        let rendered = try Shell.run(["man", "--warnings", "-l", Self.page], environment: ["MANWIDTH": "80", "MAN_KEEP_FORMATTING": "0"])
        #expect(rendered.status == 0)
        #expect(rendered.stderr.isEmpty, "man --warnings: \(rendered.stderr)")
        #expect(rendered.stdoutText.contains("EXIT STATUS"))
    }

    @Test("help texts are wrapped once: no paragraph of restore, verify or rollback ends mid-sentence with a hard break",
          arguments: ["restore", "verify", "rollback", "list", "bench"])
    func wrappedOnce(command: String) throws {
        // At 1000 columns ArgumentParser does not wrap at all: a prose line shorter than ~100
        // columns followed by a line that continues the sentence is a hard break in the source.
        let help = try Shell.run([Sindri.binary, command, "--help"], environment: ["COLUMNS": "1000", "HOME": "/nonexistent-sindri-test-home"])
        let lines = help.stdoutText.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for (line, next) in zip(lines, lines.dropFirst()) {
            guard !line.hasPrefix(" "), !line.isEmpty, !next.isEmpty, !next.hasPrefix(" "),
                  let first = next.first, first.isLowercase else { continue }
            Issue.record("hard line break inside a paragraph of \(command) --help: \"\(line)\" / \"\(next)\"")
        }
    }
}
