extension WorkspacePlanner {
    /// Extensions the synthetic instance pretends to have installed (markers, mise configs, shims).
    static let extensions = ["nodejs", "python", "rust", "golang", "docker", "claude-code"]

    /// The markers that must never be restored.
    mutating func planSystemMarkers() {
        addText(".initialized", "initialized_at=2025-01-15T10:00:00Z\nversion=3.0.0\n")
        addText(".welcome_shown", "")
        let system = "workspace/.system"
        addText(
            "\(system)/bootstrap.yaml",
            "bootstrap:\n  completed: true\n  completed_at: 2025-01-15T10:04:12Z\n  profile: fullstack\n  extensions:\n"
                + Self.extensions.map { "    - \($0)\n" }.joined())
        for name in Self.extensions {
            addText("\(system)/installed/\(name)", "name: \(name)\nversion: \(rng.below(4) + 1).\(rng.below(20)).0\ninstalled_at: 2025-01-15T10:0\(rng.below(10)):00Z\n")
        }
        addText(
            "\(system)/install-status",
            "{\"status\":\"complete\",\"installed\":[" + Self.extensions.map { "\"\($0)\"" }.joined(separator: ",") + "],\"failed\":[]}\n")
        addFile("\(system)/manifest/extensions.yaml", content: .source(.yaml), size: 3 << 10)
    }

    /// Shell and git configuration in the home's root.
    mutating func planDotfiles() {
        addText(
            ".gitconfig",
            """
            [user]
            \tname = Synthetic Developer
            \temail = developer@example.com
            [init]
            \tdefaultBranch = main
            [pull]
            \trebase = true
            [core]
            \teditor = nvim
            \texcludesfile = ~/.config/git/ignore
            [alias]
            \tst = status -sb
            \tlg = log --oneline --graph --decorate

            """)
        let bashrc = """
            # ~/.bashrc: executed by bash(1) for non-login shells.
            case $- in *i*) ;; *) return;; esac
            HISTCONTROL=ignoreboth
            HISTSIZE=10000
            shopt -s histappend checkwinsize
            export PATH="$HOME/.local/bin:$HOME/workspace/bin:$HOME/.config/mise/shims:$PATH"
            export EDITOR=nvim
            eval "$(mise activate bash)"
            eval "$(starship init bash)"
            alias ll='ls -alF'
            alias gs='git status -sb'
            [ -f ~/.bash_aliases ] && . ~/.bash_aliases

            """
        addText(".bashrc", bashrc + String(repeating: "# local customisations\n", count: rng.inRange(1...4)))
        addText(
            ".profile",
            "# ~/.profile: executed by the command interpreter for login shells.\nif [ -n \"$BASH_VERSION\" ] && [ -f \"$HOME/.bashrc\" ]; then\n    . \"$HOME/.bashrc\"\nfi\nexport PATH=\"$HOME/.local/bin:$PATH\"\n")
    }

    /// SSH host keys (kept for fingerprint stability), the injected `authorized_keys`, `known_hosts`.
    mutating func planSSH() {
        addDirectory(".ssh", mode: 0o700)
        addDirectory(".ssh/host_keys", mode: 0o700)
        for (type, lines) in [("ed25519", 7), ("ecdsa", 9), ("rsa", 38)] {
            let key = "-----BEGIN OPENSSH PRIVATE KEY-----\n"
                + (0..<lines).map { _ in base64Line(length: 70) }.joined(separator: "\n")
                + "\n-----END OPENSSH PRIVATE KEY-----\n"
            addText(".ssh/host_keys/ssh_host_\(type)_key", key, mode: 0o600)
            addText(".ssh/host_keys/ssh_host_\(type)_key.pub", "ssh-\(type) \(base64Line(length: type == "rsa" ? 372 : 68)) root@sindri\n")
        }
        addText(".ssh/authorized_keys", "ssh-ed25519 \(base64Line(length: 68)) developer@laptop\n", mode: 0o600)
        let hosts = (0..<rng.inRange(3...12)).map { _ in "|1|\(base64Line(length: 28))=|\(base64Line(length: 28))= ssh-ed25519 \(base64Line(length: 68))" }
        addText(".ssh/known_hosts", hosts.joined(separator: "\n") + "\n")
        addText(".ssh/config", "Host github.com\n  User git\n  IdentityFile ~/.ssh/id_ed25519\n", mode: 0o600)
    }

    /// `workspace/scripts`, `workspace/config`, `workspace/bin`, the `current` symlink and a hard link.
    mutating func planWorkspaceExtras(budget: Budget, projects: [ProjectDescription]) {
        addDirectory("workspace/inbox")
        if let first = projects.first { addSymlink("workspace/current", target: "projects/\(first.name)") }
        addFile("workspace/scripts/deploy.sh", content: .source(.shell), size: 3 << 10, mode: 0o755)
        addHardLink("workspace/bin/deploy", to: "workspace/scripts/deploy.sh")
        fill(
            bytes: budget.source * 15 / 1000, median: 4 << 10, range: 200...(64 << 10), mode: 0o755,
            content: { planner in planner.rng.chance(70) ? .source(.shell) : .source(.python) },
            path: { planner, kind in
                let language: TextLanguage = kind == .source(.python) ? .python : .shell
                return planner.uniqueName(
                    in: "workspace/scripts", stem: planner.fileStem(for: language), extension: language.fileExtension)
            })
        fill(
            bytes: budget.configs * 12 / 100, median: 6 << 10, range: 100...(256 << 10),
            content: { planner in
                [.source(.yaml), .source(.toml), .json(.settings)][planner.rng.below(3)]
            },
            path: { planner, kind in
                let directory = planner.rng.chance(60) ? "workspace/config" : "workspace/config/\(planner.randomDirectoryName())"
                let fileExtension = switch kind {
                case .source(.toml): "toml"
                case .json: "json"
                default: "yaml"
                }
                return planner.uniqueName(in: directory, stem: planner.fileStem(for: .yaml), extension: fileExtension)
            })
        let binaryBytes = budget.binaries * 80 / 100
        let tools = ["terraform", "kubectl", "helm", "k9s", "gh", "jq", "yq", "sindri-agent"]
        let count = Int(min(max(binaryBytes / (24 << 20), 2), Int64(tools.count)))
        for (index, size) in SizeSampler.split(binaryBytes, parts: count, rng: &rng).enumerated() {
            addFile("workspace/bin/\(tools[index])", content: .executable(.elf), size: Int(size), mode: 0o755)
        }
        addSymlink("workspace/bin/tf", target: tools[0])
        addText("workspace/bin/dev-env", "#!/usr/bin/env bash\nexec \"$HOME/workspace/scripts/deploy.sh\" --env dev \"$@\"\n", mode: 0o755)
    }

    /// Claude Code's settings and conversation history (JSON lines).
    mutating func planClaude(bytes: Int64, projects: [ProjectDescription]) {
        addText(".claude/settings.json", "{\n  \"model\": \"sonnet\",\n  \"permissions\": {\n    \"allow\": [\"Bash(git status)\", \"Read\"]\n  },\n  \"theme\": \"dark\"\n}\n")
        addFile(".claude/CLAUDE.md", content: .source(.markdown), size: 2 << 10)
        addFile(".claude/settings.local.json", content: .json(.settings), size: 700)
        let todoBytes = bytes / 25
        fill(
            bytes: todoBytes, median: 1 << 10, range: 60...(16 << 10),
            content: { _ in .json(.settings) },
            path: { planner, _ in
                let id = planner.uuidString()
                return ".claude/todos/\(id)-agent-\(id).json"
            })
        fill(
            bytes: bytes - todoBytes, median: 96 << 10, octaves: 1.6, range: (1 << 10)...(24 << 20),
            content: { _ in .source(.claudeHistory) },
            path: { planner, _ in
                let project = projects[planner.rng.below(projects.count)]
                let folder = "-alt-home-developer-workspace-projects-\(project.name)"
                return ".claude/projects/\(folder)/\(planner.uuidString()).jsonl"
            })
    }

    /// `.config`: mise (with regenerable shims), gh, git, nvim, starship and other app configs.
    mutating func planConfigDirectory(bytes: Int64) {
        addFile(".config/mise/config.toml", content: .source(.toml), size: 900)
        for name in Self.extensions {
            addText(".config/mise/conf.d/\(name).toml", "[tools]\n\(name) = \"latest\"\n")
        }
        for tool in ["node", "npm", "npx", "python", "python3", "cargo", "rustc", "go"] {
            addSymlink(".config/mise/shims/\(tool)", target: "../../../.local/bin/mise")
        }
        addFile(".config/gh/config.yml", content: .source(.yaml), size: 1200)
        addText(".config/gh/hosts.yml", "github.com:\n    user: developer\n    oauth_token: gho_\(hexString(length: 36))\n    git_protocol: ssh\n", mode: 0o600)
        addText(".config/git/ignore", ".DS_Store\n*.swp\n.idea/\n")
        addSymlink(".config/git/config", target: "../../.gitconfig")
        addFile(".config/nvim/init.lua", content: .source(.shell), size: 4 << 10)
        addFile(".config/starship.toml", content: .source(.toml), size: 1500)
        addDirectory(".config/htop")
        fill(
            bytes: bytes, median: 6 << 10, range: 100...(512 << 10),
            content: { planner in [.source(.yaml), .source(.toml), .json(.settings)][planner.rng.below(3)] },
            path: { planner, kind in
                let directory = ".config/\(planner.randomDirectoryName())"
                let fileExtension = switch kind {
                case .source(.toml): "toml"
                case .json: "json"
                default: "yml"
                }
                return planner.uniqueName(in: directory, stem: planner.fileStem(for: .yaml), extension: fileExtension)
            })
    }

    /// `.local/bin` (kept by the standard profile), mise installs and `.local/state` (always excluded),
    /// and the system logs (always excluded).
    mutating func planLocal(binaryBytes: Int64, excluded: Int64) {
        let tools = ["mise", "uv", "starship", "zoxide"]
        for (index, size) in SizeSampler.split(binaryBytes, parts: binaryBytes > 8 << 20 ? 4 : 2, rng: &rng).enumerated() {
            addFile(".local/bin/\(tools[index])", content: .executable(.elf), size: Int(size), mode: 0o755)
        }
        addText(".local/bin/env", "#!/bin/sh\ncase \":${PATH}:\" in *:\"$HOME/.local/bin\":*) ;; *) export PATH=\"$HOME/.local/bin:$PATH\" ;; esac\n", mode: 0o755)
        addDirectory(".local/share/applications")

        let installs = ".local/share/mise/installs"
        let installBytes = excluded * 30 / 100
        let nodeBytes = installBytes * 55 / 100
        addFile("\(installs)/node/22.11.0/bin/node", content: .executable(.elf), size: Int(nodeBytes * 45 / 100), mode: 0o755)
        addSymlink("\(installs)/node/latest", target: "22.11.0")
        planNodeModules(at: "\(installs)/node/22.11.0/lib/node_modules", bytes: nodeBytes - nodeBytes * 45 / 100)
        let pythonBytes = installBytes - nodeBytes
        addFile("\(installs)/python/3.12.7/bin/python3.12", content: .executable(.elf), size: Int(pythonBytes * 30 / 100), mode: 0o755)
        addSymlink("\(installs)/python/3.12", target: "3.12.7")
        fill(
            bytes: pythonBytes - pythonBytes * 30 / 100, median: 6 << 10, range: 100...(1 << 20),
            content: { planner in planner.rng.chance(80) ? .source(.python) : .executable(.pythonBytecode) },
            path: { planner, kind in
                let directory = "\(installs)/python/3.12.7/lib/python3.12/\(planner.randomDirectoryName())"
                if kind == .executable(.pythonBytecode) {
                    return planner.uniqueName(in: directory + "/__pycache__", stem: planner.fileStem(for: .python) + ".cpython-312", extension: "pyc")
                }
                return planner.uniqueName(in: directory, stem: planner.fileStem(for: .python), extension: "py")
            })

        let stateBytes = excluded * 5 / 100
        addText(".local/state/mise/trusted-configs/\(hexString(length: 16))", "/alt/home/developer/.config/mise/config.toml\n")
        addFile(".local/state/lesshst", content: .source(.log), size: 300)
        fill(
            bytes: stateBytes / 2, median: 16 << 10, range: 200...(4 << 20),
            content: { _ in .source(.log) },
            path: { planner, _ in
                planner.uniqueName(in: ".local/state/mise/logs", stem: planner.randomWord(), extension: "log")
            })
        fill(
            bytes: stateBytes - stateBytes / 2, median: 24 << 10, range: 200...(8 << 20),
            content: { _ in .source(.log) },
            path: { planner, _ in
                let name = Self.extensions[planner.rng.below(Self.extensions.count)]
                return planner.uniqueName(in: "workspace/.system/logs", stem: "\(name)-install", extension: "log")
            })
    }

    /// `.cache`: pip and npm caches (compressed archives) with their JSON indexes, and small tool caches.
    mutating func planCache(bytes: Int64) {
        addText(".cache/CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55\n")
        fill(
            bytes: bytes, median: 40 << 10, octaves: 1.7, range: 200...(32 << 20),
            content: { planner in
                switch planner.rng.below(100) {
                case 0..<40: .opaque(.gzipArchive)
                case 40..<75: .opaque(.zipArchive)
                default: .json(.settings)
                }
            },
            path: { planner, kind in
                let hash = planner.hexString(length: 64)
                let a = hash.prefix(2)
                let b = hash.dropFirst(2).prefix(2)
                switch kind {
                case .opaque(.gzipArchive): return ".cache/npm/_cacache/content-v2/sha512/\(a)/\(b)/\(hash.dropFirst(4))"
                case .opaque: return ".cache/pip/http-v2/\(a)/\(b)/\(hash.dropFirst(4)).body"
                default: return ".cache/npm/_cacache/index-v5/\(a)/\(b)/\(hash.dropFirst(4))"
                }
            })
    }

    /// A random UUID in the usual 8-4-4-4-12 form.
    mutating func uuidString() -> String {
        let hex = hexString(length: 32)
        var parts: [Substring] = []
        var index = hex.startIndex
        for length in [8, 4, 4, 4, 12] {
            let end = hex.index(index, offsetBy: length)
            parts.append(hex[index..<end])
            index = end
        }
        return parts.joined(separator: "-")
    }

    /// Random base64 text, as in keys.
    mutating func base64Line(length: Int) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        return String((0..<length).map { _ in alphabet[rng.below(64)] })
    }
}
