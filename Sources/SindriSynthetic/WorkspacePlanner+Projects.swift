extension WorkspacePlanner {
    /// Chooses the projects and splits the source, config, compressed and excluded budgets between them.
    mutating func makeProjectDescriptions(budget: Budget) -> [ProjectDescription] {
        let count = Int(min(max(4 + budget.source / (40 << 20), 4), 16))
        let extraKinds: [ProjectKind] = [.typeScript, .rust, .python, .swift, .go, .docs, .typeScript, .python]
        var projects: [ProjectDescription] = []
        var weights: [Int64] = []
        var usedNames: Set<String> = []
        for index in 0..<count {
            let kind: ProjectKind = index < 4 ? [.rust, .typeScript, .python, .swift][index]
                : extraKinds[rng.below(extraKinds.count)]
            var name = ""
            repeat {
                name = "\(randomDirectoryName())-\(kind.nameSuffixes[rng.below(kind.nameSuffixes.count)])"
            } while usedNames.contains(name)
            usedNames.insert(name)
            projects.append(ProjectDescription(name: name, kind: kind))
            weights.append(Int64(rng.inRange(1...10) * (rng.chance(20) ? 3 : 1)))
        }
        let weightSum = weights.reduce(0, +)
        let excludedWeightSum = zip(projects, weights).filter { $0.0.kind.hasExcludedFolders }.map(\.1).reduce(0, +)
        let projectSource = budget.source - budget.source * 15 / 1000
        let projectConfigs = budget.configs * 45 / 100
        let projectExcluded = budget.excluded * 45 / 100
        for index in projects.indices {
            let weight = weights[index]
            projects[index].sourceBytes = projectSource * weight / weightSum
            projects[index].configBytes = projectConfigs * weight / weightSum
            let compressed = budget.compressed * weight / weightSum
            let imageShare: Int64 = projects[index].kind == .docs ? 70 : 40
            projects[index].imageBytes = compressed * imageShare / 100
            projects[index].packBytes = compressed - projects[index].imageBytes
            if projects[index].kind.hasExcludedFolders {
                projects[index].excludedBytes = projectExcluded * weight / excludedWeightSum
            }
        }
        return projects
    }

    /// Plans one project: sources, configs, `.git`, images and its excluded folders.
    mutating func planProject(_ project: ProjectDescription) {
        addDirectory(project.root)
        let pythonFiles = planSources(project)
        planProjectConfigs(project)
        planGitDirectory(project)
        planImages(project)
        if rng.chance(40) { addDirectory("\(project.root)/tmp") }
        planProjectExcluded(project, pythonFiles: pythonFiles)
    }

    /// Plans the source tree; returns the Python files (path and size) so `__pycache__` can mirror them.
    private mutating func planSources(_ project: ProjectDescription) -> [(String, Int)] {
        let root = project.root
        let language = project.kind.language
        let module = capitalized(randomDirectoryName()) + capitalized(randomDirectoryName())
        let package = randomDirectoryName() + "_" + randomDirectoryName()
        var sourceDirectories: [String]
        var testDirectory: String?
        switch project.kind {
        case .rust: (sourceDirectories, testDirectory) = (["\(root)/src"], "\(root)/tests")
        case .typeScript: (sourceDirectories, testDirectory) = (["\(root)/src", "\(root)/src/components"], "\(root)/test")
        case .python: (sourceDirectories, testDirectory) = (["\(root)/src/\(package)"], "\(root)/tests")
        case .swift: (sourceDirectories, testDirectory) = (["\(root)/Sources/\(module)"], "\(root)/Tests/\(module)Tests")
        case .go: (sourceDirectories, testDirectory) = (["\(root)/cmd/\(package)", "\(root)/internal"], nil)
        case .docs: (sourceDirectories, testDirectory) = (["\(root)/docs", "\(root)/content"], nil)
        }
        var pythonFiles: [(String, Int)] = []
        if project.kind == .python {
            addText("\(sourceDirectories[0])/__init__.py", "")
        }
        let readmeSize = Int(min(max(project.sourceBytes / 20, 600), 24 << 10))
        addFile("\(root)/README.md", content: .source(.markdown), size: readmeSize)
        let markdownBytes = project.kind == .docs ? 0 : project.sourceBytes / 10
        let scriptBytes = project.sourceBytes * 3 / 100
        let mainBytes = max(project.sourceBytes - Int64(readmeSize) - markdownBytes - scriptBytes, 0)
        let depthLimit = root.split(separator: "/").count + 5
        fill(
            bytes: mainBytes, median: 6 << 10, octaves: 1.4, range: 120...(384 << 10),
            content: { _ in .source(language) },
            path: { planner, kind in
                var directory: String
                if let tests = testDirectory, planner.rng.chance(15) {
                    directory = tests
                } else {
                    directory = sourceDirectories[planner.rng.below(sourceDirectories.count)]
                    if planner.rng.chance(9), directory.split(separator: "/").count < depthLimit {
                        directory += "/" + planner.randomDirectoryName()
                        if !sourceDirectories.contains(directory) {
                            sourceDirectories.append(directory)
                            if project.kind == .python { planner.addText("\(directory)/__init__.py", "") }
                        }
                    }
                }
                var stem = planner.fileStem(for: language)
                if directory == testDirectory {
                    stem = project.kind == .python || project.kind == .rust ? "test_" + stem : stem + "Tests"
                } else if project.kind == .go, planner.rng.chance(20) {
                    stem += "_test"
                }
                let path = planner.uniqueName(in: directory, stem: stem, extension: language.fileExtension)
                return path
            })
        if project.kind == .python {
            for entry in plan.entries where entry.path.hasPrefix(root + "/") && entry.path.hasSuffix(".py") {
                if case .file(_, let size, _) = entry.kind { pythonFiles.append((entry.path, size)) }
            }
        }
        fill(
            bytes: markdownBytes, median: 6 << 10, range: 300...(96 << 10),
            content: { _ in .source(.markdown) },
            path: { planner, _ in
                planner.uniqueName(in: "\(root)/docs", stem: planner.fileStem(for: .markdown), extension: "md")
            })
        fill(
            bytes: scriptBytes, median: 2 << 10, range: 200...(32 << 10), mode: 0o755,
            content: { _ in .source(.shell) },
            path: { planner, _ in
                planner.uniqueName(in: "\(root)/scripts", stem: planner.fileStem(for: .shell), extension: "sh")
            })
        return pythonFiles
    }

    /// Build manifests, lock files, CI workflows and `.env` files.
    private mutating func planProjectConfigs(_ project: ProjectDescription) {
        let root = project.root
        var configs: [(path: String, content: ContentKind, weight: Int64, mode: UInt32)] = [
            (".github/workflows/ci.yml", .source(.yaml), 3, 0o644),
            (".env", .source(.dotenv), 1, 0o600),
        ]
        if rng.chance(50) { configs.append(("docker-compose.yml", .source(.yaml), 2, 0o644)) }
        switch project.kind {
        case .rust:
            configs += [
                ("Cargo.toml", .source(.toml), 3, 0o644), ("Cargo.lock", .source(.cargoLock), 20, 0o644),
                ("target/.rustc_info.json", .json(.settings), 1, 0o644),
            ]
            addText("\(root)/target/CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55\n")
            addText("\(root)/rustfmt.toml", "edition = \"2021\"\nmax_width = 110\n")
        case .typeScript:
            configs += [
                ("package.json", .json(.settings), 3, 0o644), ("package-lock.json", .json(.packageLock), 25, 0o644),
                ("tsconfig.json", .json(.settings), 2, 0o644), (".eslintrc.json", .json(.settings), 1, 0o644),
                (".env.local", .source(.dotenv), 1, 0o600),
            ]
            addText("\(root)/.prettierrc", "{ \"singleQuote\": true, \"semi\": true }\n")
        case .python:
            configs += [("pyproject.toml", .source(.toml), 3, 0o644), ("uv.lock", .source(.cargoLock), 15, 0o644)]
            let requirements = (0..<rng.inRange(5...25)).map { _ in
                "\(Vocabulary.packageWords[rng.below(Vocabulary.packageWords.count)])==\(rng.below(5)).\(rng.below(30)).\(rng.below(10))"
            }
            addText("\(root)/requirements.txt", requirements.joined(separator: "\n") + "\n")
        case .swift:
            configs += [("Package.swift", .source(.swift), 2, 0o644), ("Package.resolved", .json(.settings), 3, 0o644)]
        case .go:
            configs += [("go.mod", .source(.toml), 2, 0o644), ("go.sum", .source(.cargoLock), 10, 0o644)]
        case .docs:
            configs += [("mkdocs.yml", .source(.yaml), 3, 0o644), ("package.json", .json(.settings), 2, 0o644)]
        }
        addText("\(root)/.gitignore", gitignoreText(for: project.kind))
        let weightSum = configs.map(\.weight).reduce(0, +)
        for config in configs {
            let size = max(project.configBytes * config.weight / weightSum, 80)
            addFile("\(root)/\(config.path)", content: config.content, size: Int(size), mode: config.mode)
        }
    }

    private func gitignoreText(for kind: ProjectKind) -> String {
        switch kind {
        case .rust: "/target\n*.swp\n.env\n"
        case .typeScript: "node_modules/\ndist/\n.env.local\ncoverage/\n"
        case .python: ".venv/\n__pycache__/\n*.pyc\nbuild/\n.env\n"
        case .swift: ".build/\n.swiftpm/\n*.xcodeproj\n"
        case .go: "/bin\n*.test\ncoverage.out\n"
        case .docs: "build/\nnode_modules/\n"
        }
    }

    /// A `.git` directory: refs, hooks, logs, an index, loose objects and one or two packs (incompressible).
    private mutating func planGitDirectory(_ project: ProjectDescription) {
        let git = "\(project.root)/.git"
        let head = hexString(length: 40)
        addText("\(git)/HEAD", "ref: refs/heads/main\n")
        addText(
            "\(git)/config",
            """
            [core]
            \trepositoryformatversion = 0
            \tfilemode = true
            \tbare = false
            \tlogallrefupdates = true
            [remote "origin"]
            \turl = git@github.com:developer/\(project.name).git
            \tfetch = +refs/heads/*:refs/remotes/origin/*
            [branch "main"]
            \tremote = origin
            \tmerge = refs/heads/main

            """)
        addText("\(git)/description", "Unnamed repository; edit this file 'description' to name the repository.\n")
        addText("\(git)/refs/heads/main", head + "\n")
        addText("\(git)/refs/remotes/origin/HEAD", "ref: refs/remotes/origin/main\n")
        addText("\(git)/COMMIT_EDITMSG", "\(capitalized(randomWord())) \(randomWord()) handling\n")
        let tags = (0..<rng.inRange(1...12)).map { index in "\(hexString(length: 40)) refs/tags/v0.\(index).0" }
        addText("\(git)/packed-refs", "# pack-refs with: peeled fully-peeled sorted\n" + tags.joined(separator: "\n") + "\n")
        addText("\(git)/info/exclude", "# git ls-files --others --exclude-from=.git/info/exclude\n")
        addDirectory("\(git)/refs/tags")
        addDirectory("\(git)/objects/info")
        for hook in ["pre-commit.sample", "pre-push.sample", "commit-msg.sample"] {
            addFile("\(git)/hooks/\(hook)", content: .source(.shell), size: rng.inRange(400...4000), mode: 0o755)
        }
        addFile("\(git)/logs/HEAD", content: .source(.log), size: rng.inRange(300...20_000))
        addFile("\(git)/index", content: .executable(.gitIndex), size: Int(min(max(project.sourceBytes / 60, 256), 4 << 20)))
        let looseBytes = project.packBytes * 3 / 100
        let indexBytes = max(project.packBytes * 25 / 1000, 1100)
        var packBytes = max(project.packBytes - looseBytes - indexBytes, 32)
        fill(
            bytes: looseBytes, median: 700, range: 60...(16 << 10), mode: 0o444,
            content: { _ in .opaque(.gitLooseObject) },
            path: { planner, _ in
                let name = planner.hexString(length: 40)
                return "\(git)/objects/\(name.prefix(2))/\(name.dropFirst(2))"
            })
        let packs = packBytes > 96 << 20 ? 2 : 1
        var indexLeft = indexBytes
        for pack in 0..<packs {
            let name = "pack-\(hexString(length: 40))"
            let size = pack == packs - 1 ? packBytes : packBytes * Int64(rng.inRange(60...85)) / 100
            let index = pack == packs - 1 ? indexLeft : indexBytes * size / max(project.packBytes, 1)
            addFile("\(git)/objects/pack/\(name).pack", content: .opaque(.gitPack), size: Int(size), mode: 0o444)
            addFile("\(git)/objects/pack/\(name).idx", content: .opaque(.gitPackIndex), size: Int(index), mode: 0o444)
            packBytes -= size
            indexLeft -= index
        }
    }

    /// Screenshots, icons and photos: a valid-looking header on random bytes.
    private mutating func planImages(_ project: ProjectDescription) {
        let directories: [String]
        switch project.kind {
        case .typeScript: directories = ["public/images", "src/assets"]
        case .docs: directories = ["docs/images", "static/img"]
        default: directories = ["assets", "docs/images"]
        }
        let root = project.root
        fill(
            bytes: project.imageBytes, median: 48 << 10, octaves: 1.6, range: (1 << 10)...(6 << 20),
            content: { planner in .opaque(planner.rng.chance(55) ? .png : .jpeg) },
            path: { planner, kind in
                let directory = "\(root)/\(directories[planner.rng.below(directories.count)])"
                let stem = "\(planner.randomWord())-\(planner.randomWord())"
                return planner.uniqueName(in: directory, stem: stem, extension: kind == .opaque(.png) ? "png" : "jpg")
            })
    }
}
