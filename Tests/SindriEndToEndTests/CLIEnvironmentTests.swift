import Foundation
import Testing

/// `SINDRI_HOME`, `SINDRI_PROFILE`, `SINDRI_COMPRESSION`, `SINDRI_EXCLUDE_FILE`: used without the
/// flag, overridden by it, refused when unusable.
@Suite("environment variables (end to end)")
struct CLIEnvironmentTests {
    static func home(_ temp: TemporaryDirectory, _ name: String = "home") throws -> String {
        let home = temp.sub(name)
        let f = try CLIFiles.smallHome(at: home)
        try f.file(".bashrc", "export A=1\n")  // standard and full, not user-data
        try f.file("workspace/projects/notes.log", String(repeating: "log line\n", count: 400))
        return home
    }

    static func summary(_ run: ProcessOutput) throws -> [String: Any] {
        #expect(run.status == 0, "\(run.stderr)")
        return try #require(JSONStream(run.stdout).of("summary").last)
    }

    @Test("SINDRI_HOME is the home without --home; --home wins")
    func home() throws {
        let temp = try TemporaryDirectory("env-home")
        let first = try Self.home(temp, "first")
        let second = try Self.home(temp, "second")
        let fromVariable = try Self.summary(try Sindri.run(["backup", "--dry-run", "--json", "-o", temp.path + "/"], environment: ["SINDRI_HOME": first]))
        #expect(fromVariable["home"] as? String == first)
        let fromFlag = try Self.summary(try Sindri.run(
            ["backup", "--dry-run", "--json", "--home", second, "-o", temp.path + "/"], environment: ["SINDRI_HOME": first]))
        #expect(fromFlag["home"] as? String == second)
        // Without either, HOME (here a missing directory: a usage error naming it).
        let fallback = try Sindri.run(["backup", "--dry-run", "-o", temp.path + "/"])
        #expect(fallback.status == 64)
        #expect(fallback.stderr.contains("/nonexistent-sindri-test-home"), "\(fallback.stderr)")
    }

    @Test("SINDRI_PROFILE picks the profile without --profile; --profile wins")
    func profile() throws {
        let temp = try TemporaryDirectory("env-profile")
        let home = try Self.home(temp)
        let base = ["backup", "--home", home, "--dry-run", "--json", "-o", temp.path + "/"]
        #expect(try Self.summary(try Sindri.run(base))["profile"] as? String == "standard")
        let variable = try Self.summary(try Sindri.run(base, environment: ["SINDRI_PROFILE": "user-data"]))
        #expect(variable["profile"] as? String == "user-data")
        let flag = try Self.summary(try Sindri.run(base + ["--profile", "full"], environment: ["SINDRI_PROFILE": "user-data"]))
        #expect(flag["profile"] as? String == "full")
        #expect((flag["files"] as? Int ?? 0) > (variable["files"] as? Int ?? 0), "full takes .bashrc, user-data does not")
    }

    @Test("SINDRI_COMPRESSION sets the level without --compression; --compression wins")
    func compression() throws {
        let temp = try TemporaryDirectory("env-compression")
        let home = try Self.home(temp)
        func size(_ extra: [String], _ environment: [String: String] = [:]) throws -> Int {
            let archive = temp.path + "/\(UUID().uuidString.prefix(6)).tar.gz"
            #expect(try Sindri.run(["backup", "--home", home, "-o", archive] + extra, environment: environment).status == 0)
            return Int(CLIFiles.size(archive))
        }
        let level1 = try size(["--compression", "1"])
        let level9 = try size(["--compression", "9"])
        #expect(level1 != level9, "levels 1 and 9 must differ for this test to mean anything")
        #expect(try size([], ["SINDRI_COMPRESSION": "1"]) == level1)
        #expect(try size(["--compression", "9"], ["SINDRI_COMPRESSION": "1"]) == level9)
        let bad = try Sindri.run(["backup", "--home", home, "-o", temp.path + "/bad.tar.gz"], environment: ["SINDRI_COMPRESSION": "fast"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("SINDRI_COMPRESSION"))
    }

    @Test("SINDRI_EXCLUDE_FILE is read without --exclude-file; --exclude-file replaces it")
    func excludeFile() throws {
        let temp = try TemporaryDirectory("env-exclude")
        let home = try Self.home(temp)
        let logs = temp.path + "/no-logs"
        try "*.log\n".write(toFile: logs, atomically: true, encoding: .utf8)
        let swift = temp.path + "/no-swift"
        try "*.swift\n".write(toFile: swift, atomically: true, encoding: .utf8)
        func members(_ extra: [String], _ environment: [String: String]) throws -> Set<String> {
            let archive = temp.path + "/\(UUID().uuidString.prefix(6)).tar.gz"
            let run = try Sindri.run(["backup", "--home", home, "-o", archive] + extra, environment: environment)
            #expect(run.status == 0, "\(run.stderr)")
            return try CLIFiles.members(archive)
        }
        let variable = try members([], ["SINDRI_EXCLUDE_FILE": logs])
        #expect(!variable.contains("workspace/projects/notes.log"))
        #expect(variable.contains("workspace/projects/app/main.swift"))
        let flag = try members(["--exclude-file", swift], ["SINDRI_EXCLUDE_FILE": logs])
        #expect(flag.contains("workspace/projects/notes.log"), "the flag replaces the variable")
        #expect(!flag.contains("workspace/projects/app/main.swift"))
        let missing = try Sindri.run(["backup", "--home", home, "-o", temp.path + "/m.tar.gz"], environment: ["SINDRI_EXCLUDE_FILE": temp.path + "/none"])
        #expect(missing.status == 64)
    }
}
