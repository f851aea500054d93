extension WorkspacePlanner {
    /// Plans the always-excluded folders a project of this kind accumulates: `node_modules` and `dist`,
    /// `.venv`, `__pycache__` and `build`, or `target/debug`.
    mutating func planProjectExcluded(_ project: ProjectDescription, pythonFiles: [(String, Int)]) {
        let root = project.root
        let bytes = project.excludedBytes
        switch project.kind {
        case .typeScript:
            planNodeModules(at: "\(root)/node_modules", bytes: bytes * 80 / 100)
            planBundle(at: "\(root)/dist", bytes: bytes - bytes * 80 / 100)
        case .python:
            let cacheBytes = bytes * 10 / 100
            let buildBytes = bytes * 15 / 100
            planVirtualEnvironment(at: "\(root)/.venv", bytes: bytes - cacheBytes - buildBytes)
            planBytecodeCaches(for: pythonFiles, bytes: cacheBytes)
            fill(
                bytes: buildBytes, median: 5 << 10, range: 200...(128 << 10),
                content: { _ in .source(.python) },
                path: { planner, _ in
                    let directory = "\(root)/build/lib/\(planner.randomDirectoryName())"
                    return planner.uniqueName(in: directory, stem: planner.fileStem(for: .python), extension: "py")
                })
        case .rust:
            planCargoTarget(at: "\(root)/target/debug", binaryName: project.name, bytes: bytes)
        case .docs:
            fill(
                bytes: bytes, median: 12 << 10, range: 400...(2 << 20),
                content: { planner in planner.rng.chance(75) ? .source(.markdown) : .opaque(.png) },
                path: { planner, kind in
                    let directory = "\(root)/build/\(planner.randomDirectoryName())"
                    let fileExtension = kind == .opaque(.png) ? "png" : "html"
                    return planner.uniqueName(in: directory, stem: planner.randomWord(), extension: fileExtension)
                })
        case .swift, .go:
            break
        }
    }

    /// npm packages: manifests, readmes, CommonJS sources and type declarations, plus `.bin` symlinks.
    mutating func planNodeModules(at directory: String, bytes: Int64) {
        guard bytes > 0 else { return }
        let lockBytes = min(bytes / 20, 2 << 20)
        addFile("\(directory)/.package-lock.json", content: .json(.packageLock), size: Int(lockBytes))
        var remaining = bytes - lockBytes
        var packageIndex = 0
        while remaining > 0 {
            var packageBytes = Int64(SizeSampler.sample(median: 96 << 10, octaves: 1.5, range: (4 << 10)...(16 << 20), rng: &rng))
            if remaining - packageBytes < 4 << 10 { packageBytes = remaining }
            remaining -= packageBytes
            let base = Vocabulary.packageWords[rng.below(Vocabulary.packageWords.count)]
            let name = rng.chance(20) ? "@types/\(base)-\(packageIndex)" : "\(base)-\(randomWord())-\(packageIndex)"
            let packageDirectory = "\(directory)/\(name)"
            packageIndex += 1
            addText("\(packageDirectory)/LICENSE", "MIT License\n\nCopyright (c) \(name) contributors\n")
            var fixed: Int64 = 0
            for (file, content, size) in [
                ("package.json", ContentKind.json(.settings), min(Int(packageBytes / 10), 2400)),
                ("README.md", ContentKind.source(.markdown), min(Int(packageBytes / 8), 12 << 10)),
            ] where Int64(size) + fixed < packageBytes {
                addFile("\(packageDirectory)/\(file)", content: content, size: max(size, 0))
                fixed += Int64(size)
            }
            if packageIndex <= 3, packageBytes - fixed > 1024 {
                addFile("\(packageDirectory)/bin/cli.js", content: .source(.javaScript), size: 1024, mode: 0o755)
                addSymlink("\(directory)/.bin/\(base)-\(packageIndex)", target: "../\(name)/bin/cli.js")
                fixed += 1024
            }
            let subdirectory = rng.chance(50) ? "lib" : "dist"
            fill(
                bytes: packageBytes - fixed, median: 3 << 10, range: 100...(512 << 10),
                content: { planner in planner.rng.chance(80) ? .source(.javaScript) : .source(.typeScript) },
                path: { planner, kind in
                    let isDeclaration = kind == .source(.typeScript)
                    let stem = planner.fileStem(for: .javaScript)
                    return planner.uniqueName(
                        in: "\(packageDirectory)/\(subdirectory)", stem: isDeclaration ? stem + ".d" : stem,
                        extension: isDeclaration ? "ts" : "js")
                })
        }
    }

    /// A bundler's output: a few large minified-style bundles with source maps.
    private mutating func planBundle(at directory: String, bytes: Int64) {
        guard bytes > 0 else { return }
        addText("\(directory)/index.html", "<!doctype html><html><head><script type=\"module\" src=\"/assets/index.js\"></script></head><body><div id=\"root\"></div></body></html>\n")
        fill(
            bytes: bytes, median: 160 << 10, range: (2 << 10)...(4 << 20),
            content: { planner in planner.rng.chance(70) ? .source(.javaScript) : .json(.settings) },
            path: { planner, kind in
                let stem = "\(planner.randomWord())-\(planner.hexString(length: 8))"
                return "\(directory)/assets/\(stem).\(kind == .json(.settings) ? "js.map" : "js")"
            })
    }

    /// A Python virtual environment with installed packages (sources, bytecode, a few native extensions).
    private mutating func planVirtualEnvironment(at directory: String, bytes: Int64) {
        guard bytes > 0 else { return }
        addText("\(directory)/pyvenv.cfg", "home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.12.7\n")
        addFile("\(directory)/bin/activate", content: .source(.shell), size: 2200, mode: 0o755)
        let sitePackages = "\(directory)/lib/python3.12/site-packages"
        fill(
            bytes: bytes, median: 5 << 10, range: 120...(2 << 20),
            content: { planner in
                switch planner.rng.below(100) {
                case 0..<70: .source(.python)
                case 70..<92: .executable(.pythonBytecode)
                default: .executable(.elf)
                }
            },
            path: { planner, kind in
                let package = "\(sitePackages)/\(Vocabulary.packageWords[planner.rng.skewed(Vocabulary.packageWords.count)])"
                let stem = planner.fileStem(for: .python)
                switch kind {
                case .executable(.pythonBytecode):
                    return planner.uniqueName(in: "\(package)/__pycache__", stem: stem + ".cpython-312", extension: "pyc")
                case .executable:
                    return planner.uniqueName(in: package, stem: "_" + stem + ".cpython-312-x86_64-linux-gnu", extension: "so")
                default:
                    return planner.uniqueName(in: package, stem: stem, extension: "py")
                }
            })
    }

    /// `__pycache__/*.pyc` next to the project's own modules, until `bytes` are used.
    private mutating func planBytecodeCaches(for pythonFiles: [(String, Int)], bytes: Int64) {
        var remaining = bytes
        for (path, size) in pythonFiles where remaining > 0 {
            guard let slash = path.lastIndex(of: "/") else { continue }
            let directory = path[..<slash]
            let stem = path[path.index(after: slash)...].dropLast(3)
            let cacheSize = min(Int64(max(size * 3 / 4, 200)), remaining)
            addFile(
                "\(directory)/__pycache__/\(stem).cpython-312.pyc", content: .executable(.pythonBytecode),
                size: Int(cacheSize))
            remaining -= cacheSize
        }
    }

    /// Cargo's debug profile: the binary, dependency rlibs, dep-info files, fingerprints and incremental objects.
    private mutating func planCargoTarget(at directory: String, binaryName: String, bytes: Int64) {
        guard bytes > 0 else { return }
        let binaryBytes = bytes * 25 / 100
        addFile("\(directory)/\(binaryName)", content: .executable(.elf), size: Int(binaryBytes), mode: 0o755)
        addText("\(directory)/\(binaryName).d", "\(directory)/\(binaryName): src/main.rs src/lib.rs\n")
        addDirectory("\(directory)/examples")
        fill(
            bytes: bytes - binaryBytes, median: 160 << 10, octaves: 1.8, range: 64...(24 << 20),
            content: { planner in
                switch planner.rng.below(100) {
                case 0..<55: .executable(.rustLibrary)
                case 55..<80: .executable(.elf)
                default: .source(.log)
                }
            },
            path: { planner, kind in
                let crate = "\(Vocabulary.packageWords[planner.rng.below(Vocabulary.packageWords.count)])-\(planner.hexString(length: 16))"
                switch kind {
                case .executable(.rustLibrary):
                    return planner.uniqueName(in: "\(directory)/deps", stem: "lib\(crate)", extension: "rlib")
                case .executable:
                    let session = "s-\(planner.hexString(length: 10))"
                    return planner.uniqueName(
                        in: "\(directory)/incremental/\(crate)/\(session)", stem: planner.hexString(length: 12), extension: "o")
                default:
                    return planner.rng.chance(50)
                        ? planner.uniqueName(in: "\(directory)/deps", stem: crate, extension: "d")
                        : planner.uniqueName(in: "\(directory)/.fingerprint/\(crate)", stem: "lib-\(crate)", extension: "json")
                }
            })
    }
}
