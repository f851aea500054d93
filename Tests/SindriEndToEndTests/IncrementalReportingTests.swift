import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// What the commands say about chains, read by a JSON parser: `list --json` (each link and what
/// it added, changed and deleted), `backups --json` (the full backup each incremental depends
/// on), and `backup --dry-run --incremental` (the base and what the incremental would hold).
@Suite("incremental chains in JSON and dry runs (end to end)", .serialized)
struct IncrementalReportingTests {
    static func name(_ path: String) -> String { (path as NSString).lastPathComponent }

    static func summary(_ output: ProcessOutput) -> [String: Any] {
        let stream = JSONStream(output.stdout)
        #expect(stream.badLines.isEmpty, "\(stream.badLines.prefix(3))")
        return stream.of("summary").last ?? [:]
    }

    static func details(_ output: ProcessOutput) -> [String: Any] {
        summary(output)["details"] as? [String: Any] ?? [:]
    }

    @Test("list --json: the chain oldest first, each link's added, changed and deleted paths; backups --json: the full each incremental depends on")
    func chainAsJSON() throws {
        let temp = try TemporaryDirectory("inc-json")
        let (_, backups, chain) = try IncrementalChainTests.makeChain(temp)
        let newest = chain.archives[4]
        let list = try Sindri.run(["list", "--json", newest])
        #expect(list.status == 0, "\(list.stderr)")
        let links = Self.details(list)["chain"] as? [[String: Any]] ?? []
        #expect(links.map { $0["file_name"] as? String ?? "?" } == chain.archives.map(Self.name))
        #expect(links.map { $0["backup_type"] as? String ?? "?" } == ["full", "incremental", "incremental", "incremental", "incremental"])
        #expect(links.first?["added_paths"] == nil, "a full backup's paths are its members")
        for (index, link) in links.enumerated().dropFirst() {
            let base = link["base"] as? [String: Any]
            #expect(base?["file_name"] as? String == Self.name(chain.archives[index - 1]))
            #expect(base?["checksum"] as? String == links[index - 1]["checksum"] as? String)
            for kind in ["added", "changed", "deleted"] {
                #expect((link["\(kind)_paths"] as? [String])?.count == link[kind] as? Int, "link \(index) \(kind)")
            }
        }
        func paths(_ index: Int, _ kind: String) -> Set<String> { Set(links.count > index ? links[index]["\(kind)_paths"] as? [String] ?? [] : []) }
        // 1: an edit, a deletion, a rename, a mode change, a new file.
        #expect(paths(1, "changed") == ["workspace/projects/app/main.swift", "workspace/scripts/run.sh"], "\(paths(1, "changed"))")
        #expect(paths(1, "deleted") == ["workspace/projects/app/secret.env", "workspace/projects/lib/m03.txt"], "\(paths(1, "deleted"))")
        #expect(paths(1, "added") == ["workspace/projects/lib/renamed.txt", "workspace/projects/new.txt"], "\(paths(1, "added"))")
        // 2: a symlink retargeted, a file replaced by a directory, a new hard link pair.
        #expect(paths(2, "changed") == ["workspace/projects/app/link-to-readme", "workspace/projects/app/thing"], "\(paths(2, "changed"))")
        #expect(paths(2, "added").isSuperset(of: ["workspace/projects/app/thing/inside/f.txt", "workspace/projects/lib/pair-a.txt", "workspace/projects/lib/pair-b.txt"]))
        // 3: the directory replaced by a file again; its contents deleted; a hard link added.
        #expect(paths(3, "deleted") == ["workspace/projects/app/thing/inside", "workspace/projects/app/thing/inside/f.txt"], "\(paths(3, "deleted"))")
        #expect(paths(3, "changed").contains("workspace/projects/app/thing"), "\(paths(3, "changed"))")
        #expect(paths(3, "added") == ["workspace/projects/lib/m10-link.txt"], "\(paths(3, "added"))")
        // 4: one file rewritten with its mtime put back (archived because of --rehash).
        #expect(paths(4, "changed") == ["workspace/projects/lib/m20.txt"] && paths(4, "added").isEmpty && paths(4, "deleted").isEmpty)

        let listing = try Sindri.run(["backups", "--json", backups])
        #expect(listing.status == 0, "\(listing.stderr)")
        var rows: [String: [String: Any]] = [:]
        for row in Self.summary(listing)["details"] as? [[String: Any]] ?? [] { rows[Self.name(row["location"] as? String ?? "")] = row }
        #expect(rows.count == 5)
        #expect(rows[Self.name(chain.archives[0])]?["full"] == nil, "a full backup depends on nothing")
        for index in 1..<5 {
            let row = rows[Self.name(chain.archives[index])] ?? [:]
            #expect(row["backup_type"] as? String == "incremental")
            #expect((row["full"] as? String).map(Self.name) == Self.name(chain.archives[0]), "\(row)")
            #expect((row["depends_on"] as? [String])?.map(Self.name) == chain.archives[0..<index].reversed().map(Self.name))
            #expect(row["chain_complete"] as? Bool == true)
        }
        // A middle link deleted: the incrementals after it say which base is missing.
        #expect(unlink(chain.archives[2]) == 0)
        let broken = try Sindri.run(["backups", "--json", backups])
        rows = [:]
        for row in Self.summary(broken)["details"] as? [[String: Any]] ?? [] { rows[Self.name(row["location"] as? String ?? "")] = row }
        let newestRow = rows[Self.name(newest)] ?? [:]
        #expect(newestRow["chain_complete"] as? Bool == false && newestRow["full"] is NSNull, "\(newestRow)")
        #expect(newestRow["missing_base"] as? String == Self.name(chain.archives[2]))
        #expect(rows[Self.name(chain.archives[1])]?["chain_complete"] as? Bool == true)
    }

    @Test("backup --dry-run --incremental names the base and what the incremental would hold, and writes nothing")
    func dryRunIncremental() throws {
        let temp = try TemporaryDirectory("inc-dry")
        let source = temp.sub("source")
        let backups = temp.sub("backups")
        _ = try RestoreFixtures.smallHome(at: source)
        let (full, _) = try IncrementalChainTests.backup(source, into: backups, [])
        let edited = "edited for the dry run\n"
        try IncrementalChainTests.python("""
            open('workspace/projects/app/main.swift', 'w').write('edited for the dry run\\n')
            open('workspace/projects/app/new.txt', 'w').write('new\\n')
            os.remove('workspace/projects/app/secret.env')
            """, source)
        let listingBefore = try HomeSnapshot.take(backups)
        let sourceBefore = try HomeSnapshot.take(source)
        let dry = try Sindri.run(["backup", "--home", source, "-o", backups + "/", "-p", "standard", "--incremental", "--dry-run", "--json"])
        #expect(dry.status == 0, "\(dry.stderr)")
        let summary = Self.summary(dry)
        let incremental = (summary["details"] as? [String: Any])?["incremental"] as? [String: Any] ?? [:]
        #expect(summary["dry_run"] as? Bool == true)
        #expect(incremental["backup_type"] as? String == "incremental")
        #expect((incremental["base"] as? [String: Any])?["file_name"] as? String == Self.name(full))
        #expect(incremental["files_added"] as? Int == 1 && incremental["files_changed"] as? Int == 1 && incremental["deleted"] as? Int == 1, "\(incremental)")
        #expect(incremental["bytes"] as? Int == edited.utf8.count + 4, "\(incremental)")
        #expect(summary["files"] as? Int == 2 && summary["total_bytes"] as? Int == edited.utf8.count + 4)
        #expect((summary["archive_path"] as? String)?.hasSuffix("-inc.tar.gz") == true, "\(summary)")
        let text = try Sindri.run(["backup", "--home", source, "-o", backups + "/", "-p", "standard", "--incremental", "--dry-run"])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stderr.contains("as an incremental on \(Self.name(full))") && text.stderr.contains("1 added, 1 changed, 1 deleted"), "\(text.stderr)")
        #expect(try HomeSnapshot.take(backups) == listingBefore, "a dry run wrote into the output directory")
        #expect(try HomeSnapshot.take(source) == sourceBefore)

        // The real incremental holds what the dry run said.
        let real = try Sindri.run(["backup", "--home", source, "-o", backups + "/", "-p", "standard", "--incremental", "--json"])
        #expect(real.status == 0, "\(real.stderr)")
        let made = Self.summary(real)
        #expect(made["files"] as? Int == summary["files"] as? Int && made["total_bytes"] as? Int == summary["total_bytes"] as? Int, "\(made)")

        // No earlier backup there: the dry run says a full backup would be made.
        let empty = temp.sub("empty")
        let none = try Sindri.run(["backup", "--home", source, "-o", empty + "/", "-p", "standard", "--incremental", "--dry-run", "--json"])
        #expect(none.status == 0, "\(none.stderr)")
        let fallback = Self.details(none)["incremental"] as? [String: Any] ?? [:]
        #expect(fallback["backup_type"] as? String == "full" && (fallback["note"] as? String)?.contains("making a full backup") == true, "\(fallback)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: empty).isEmpty)
    }
}
