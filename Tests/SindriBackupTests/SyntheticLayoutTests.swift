import Foundation
import SindriSynthetic
import Testing

@Suite("Synthetic workspace layout and content")
struct SyntheticLayoutTests {
    /// Every category the backup engine must meet, as globs over relative paths (regular files unless noted).
    static let requiredFiles = [
        // Projects: sources in several languages, docs, configs, git internals, images.
        "workspace/projects/*/src/**/*.rs", "workspace/projects/*/src/**/*.ts", "workspace/projects/*/src/**/*.py",
        "workspace/projects/*/Sources/**/*.swift", "workspace/projects/*/README.md", "workspace/projects/*/docs/*.md",
        "workspace/projects/*/package.json", "workspace/projects/*/package-lock.json", "workspace/projects/*/Cargo.toml",
        "workspace/projects/*/.github/workflows/ci.yml", "workspace/projects/*/.env",
        "workspace/projects/*/.git/HEAD", "workspace/projects/*/.git/objects/pack/pack-*.pack",
        "workspace/projects/*/.git/objects/pack/pack-*.idx", "workspace/projects/*/.git/objects/??/*",
        "workspace/projects/**/*.png", "workspace/projects/**/*.jpg",
        // The rest of workspace/.
        "workspace/config/*", "workspace/scripts/*.sh", "workspace/bin/*",
        // Home configuration and user data.
        ".claude/settings.json", ".claude/projects/*/*.jsonl", ".ssh/host_keys/ssh_host_ed25519_key",
        ".ssh/authorized_keys", ".gitconfig", ".bashrc", ".profile", ".config/mise/config.toml", ".config/**/*.yml",
        ".local/bin/*",
        // Regenerable and always-excluded folders.
        ".local/share/mise/installs/**/*", ".local/state/**/*", ".cache/**/*",
        "workspace/projects/*/node_modules/**/*.js", "workspace/projects/*/.venv/**/*.py",
        "workspace/projects/**/__pycache__/*.pyc", "workspace/projects/*/target/debug/**/*",
        "workspace/projects/*/dist/**/*", "workspace/projects/*/build/**/*",
        // System markers.
        ".initialized", ".welcome_shown", "workspace/.system/bootstrap.yaml", "workspace/.system/installed/*",
        "workspace/.system/install-status", "workspace/.system/logs/*", "workspace/.system/manifest/*",
    ]

    @Test("every category of a developer home's layout is present, with links, modes and empty directories")
    func layout() throws {
        try SyntheticTestSupport.withWorkspace(WorkspaceSpec(totalBytes: 24 << 20, seed: 11)) { workspace in
            let root = workspace.root
            let files = try SyntheticTestSupport.paths(in: root, type: "f")
            for pattern in Self.requiredFiles {
                #expect(files.contains { SyntheticTestSupport.matches($0, pattern: pattern) }, "missing \(pattern)")
            }

            // Symlinks: several, all relative, all resolving to something inside the home.
            let links = try SyntheticTestSupport.paths(in: root, type: "l")
            #expect(links.count >= 5)
            #expect(links.contains { $0.hasPrefix(".config/mise/shims/") })
            for link in links {
                let target = try FileManager.default.destinationOfSymbolicLink(atPath: root + "/" + link)
                #expect(!target.hasPrefix("/"), "\(link) -> \(target) is absolute")
                let resolved = URL(fileURLWithPath: root + "/" + link).resolvingSymlinksInPath().path
                #expect(resolved.hasPrefix(URL(fileURLWithPath: root).resolvingSymlinksInPath().path + "/"))
                #expect(FileManager.default.fileExists(atPath: resolved), "\(link) dangles")
            }

            // A hard link: one inode with two names.
            let multiplyLinked = try SyntheticTestSupport.shell("find . -type f -links +1 -printf '%i %P\\n'", in: root)
                .split(separator: "\n")
            #expect(multiplyLinked.count == 2)
            #expect(Set(multiplyLinked.map { $0.split(separator: " ")[0] }).count == 1)

            // Empty directories are part of the tree.
            let empty = try SyntheticTestSupport.shell("find . -mindepth 1 -type d -empty -printf '%P\\n'", in: root)
            #expect(empty.split(separator: "\n").count >= 3)

            // Modes a restore must preserve.
            let modes = try SyntheticTestSupport.shell(
                "stat -c '%a %n' .ssh .ssh/host_keys/ssh_host_rsa_key .ssh/host_keys/ssh_host_rsa_key.pub workspace/scripts/deploy.sh",
                in: root
            ).split(separator: "\n").map { $0.split(separator: " ")[0] }
            #expect(modes == ["700", "600", "644", "755"])

            // Already-compressed files start like their format.
            let png = try Self.prefix(of: files.first { $0.hasSuffix(".png") }!, in: root, count: 8)
            #expect(png == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
            let jpeg = try Self.prefix(of: files.first { $0.hasSuffix(".jpg") }!, in: root, count: 3)
            #expect(jpeg == [0xFF, 0xD8, 0xFF])
            let pack = try Self.prefix(of: files.first { $0.hasSuffix(".pack") }!, in: root, count: 4)
            #expect(pack == Array("PACK".utf8))
            let binary = try Self.prefix(of: files.first { $0.hasPrefix("workspace/bin/") && $0 != "workspace/bin/deploy" && $0 != "workspace/bin/dev-env" }!, in: root, count: 4)
            #expect(binary == [0x7F, 0x45, 0x4C, 0x46])

            // Timestamps are spread over the past, not "now".
            let newest = try SyntheticTestSupport.shell("find . -printf '%T@\\n' | sort -n | tail -1", in: root)
            #expect((Double(newest.trimmingCharacters(in: .whitespacesAndNewlines)) ?? .infinity) < 1_767_312_000)
        }
    }

    @Test("sources compress like real code, binaries 2.5-3x, packs and images not at all")
    func compressibility() throws {
        try SyntheticTestSupport.withWorkspace(WorkspaceSpec(totalBytes: 24 << 20, seed: 5)) { workspace in
            let files = try SyntheticTestSupport.paths(in: workspace.root, type: "f")
            let sources = files.filter { path in
                [".swift", ".rs", ".ts", ".py"].contains { path.hasSuffix($0) } && !path.contains("node_modules")
            }
            let source = try SyntheticTestSupport.gzipRatio(of: sources, in: workspace.root)
            #expect(source.input > 2 << 20)
            #expect(source.ratio > 3 && source.ratio < 8, "source ratio \(source.ratio)")

            let configs = files.filter { [".json", ".yaml", ".yml", ".toml", ".jsonl", ".md"].contains(where: $0.hasSuffix) }
            let config = try SyntheticTestSupport.gzipRatio(of: configs, in: workspace.root)
            #expect(config.ratio > 2.5 && config.ratio < 8, "config ratio \(config.ratio)")

            let binaries = files.filter { $0.hasPrefix("workspace/bin/") || $0.hasPrefix(".local/bin/") }
            let binary = try SyntheticTestSupport.gzipRatio(of: binaries, in: workspace.root)
            #expect(binary.input > 2 << 20)
            #expect(binary.ratio > 2.3 && binary.ratio < 3.5, "binary ratio \(binary.ratio)")

            let opaque = files.filter { [".pack", ".png", ".jpg"].contains(where: $0.hasSuffix) }
            let compressed = try SyntheticTestSupport.gzipRatio(of: opaque, in: workspace.root)
            #expect(compressed.input > 2 << 20)
            #expect(compressed.ratio < 1.01, "already-compressed ratio \(compressed.ratio)")
        }
    }

    @Test("generated JSON documents and Claude history lines parse")
    func jsonIsValid() throws {
        try SyntheticTestSupport.withWorkspace(WorkspaceSpec(totalBytes: 12 << 20, seed: 9)) { workspace in
            let files = try SyntheticTestSupport.paths(in: workspace.root, type: "f")
            let documents = files.filter { $0.hasSuffix("package-lock.json") || $0.hasPrefix(".claude/todos/") }
            #expect(!documents.isEmpty)
            for path in documents.prefix(40) {
                let data = try Data(contentsOf: URL(fileURLWithPath: workspace.root + "/" + path))
                #expect((try? JSONSerialization.jsonObject(with: data)) != nil, "\(path) is not JSON")
            }
            let history = try #require(files.first { $0.hasSuffix(".jsonl") })
            let text = try String(contentsOfFile: workspace.root + "/" + history, encoding: .utf8)
            let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            #expect(lines.count > 3)
            for line in lines {
                #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "bad history line")
            }
        }
    }

    private static func prefix(of path: String, in root: String, count: Int) throws -> [UInt8] {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: root + "/" + path))
        defer { try? handle.close() }
        return Array(try handle.read(upToCount: count) ?? Data())
    }
}
