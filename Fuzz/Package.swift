// swift-tools-version: 6.1
// Coverage-guided fuzz targets (libFuzzer) for the readers of untrusted input, a package of
// their own so that the sanitizer flags stay out of the main build. Build and run them with
//   bash scripts/fuzz.sh [seconds-per-target] [target...]
// from the repository root. It builds with `-sanitize=fuzzer,address` for every Swift module,
// so the readers themselves are instrumented, not only the targets. Seed corpora are in
// Corpus/<target>/.
//
// Adding a reader: one file Sources/Fuzz<Name>/main.swift that defines the
// `LLVMFuzzerTestOneInput` function and hands it to `runFuzzer`, one line in `targets` below,
// and a seed folder Corpus/Fuzz<Name>/.
import PackageDescription

import struct Foundation.URL

// A path dependency's identity is its folder's name, which depends on where the repository was cloned.
let mainPackage = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

func product(_ name: String) -> Target.Dependency { .product(name: name, package: mainPackage) }

/// Each fuzz target and the library products it reads with.
let targets: [(name: String, dependencies: [Target.Dependency])] = [
    ("FuzzGzip", [product("SindriCodecs")]),
    ("FuzzTar", [product("SindriArchive")]),
    ("FuzzManifest", [product("SindriArchive")]),
    ("FuzzChecksumList", [product("SindriArchive")]),
    ("FuzzJournal", [product("SindriJournal")]),
    ("FuzzVerify", [product("SindriBackup"), product("SindriSystem")]),
]

let package = Package(
    name: "sindri-fuzz",
    platforms: [.macOS(.v13)],
    // Without the ObjectStorage trait: the readers under test never touch the network, and the
    // sanitizer build then skips swift-nio and async-http-client.
    dependencies: [.package(path: "../", traits: [])],
    targets: [
        // libFuzzer's driver entry point, declared for Swift.
        .target(name: "CFuzzDriver"),
        // Helpers shared by the targets: the driver, chunkings derived from the input, checks.
        .target(name: "FuzzSupport", dependencies: ["CFuzzDriver"]),
    ] + targets.map { target in
        .executableTarget(name: target.name, dependencies: ["FuzzSupport"] + target.dependencies)
    }
)
