// swift-tools-version: 6.1
// Benchmarks for sindri-backup, a package of their own so that package-benchmark (and its malloc
// interposer) stay out of the main build. Run from this directory:
//   swift package benchmark                      # every suite
//   swift package benchmark --target BackupBenchmarks
// Fixtures (generated workspaces) are cached in $SINDRI_BENCH_DIR (default /tmp/sindri-bench).
// See ../PerfData/README.md for what each suite measures and for the tar | pigz comparison.
import PackageDescription

import struct Foundation.URL

// A path dependency's identity is its folder's name, which depends on where the repository was cloned.
let mainPackage = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

let benchmark: Target.Dependency = .product(name: "Benchmark", package: "benchmark")
let plugin: Target.PluginUsage = .plugin(name: "BenchmarkPlugin", package: "benchmark")
let fixtures: Target.Dependency = "BenchmarkFixtures"

/// One executable per suite (the plugin finds them under Benchmarks/<name>).
@MainActor func suite(_ name: String, _ dependencies: [Target.Dependency] = []) -> Target {
    .executableTarget(
        name: name,
        dependencies: [benchmark, fixtures] + dependencies,
        path: "Benchmarks/\(name)",
        plugins: [plugin]
    )
}

let package = Package(
    name: "sindri-benchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(path: "../"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // libdeflate itself, for the engine suite (SindriCodecs is not a product of the main package).
        .systemLibrary(name: "CLibdeflateBench", path: "Sources/CLibdeflateBench", pkgConfig: "libdeflate"),
        // Generated, cached workspaces and small helpers shared by the suites.
        .target(
            name: "BenchmarkFixtures",
            dependencies: [
                .product(name: "SindriBackup", package: mainPackage),
                .product(name: "SindriSynthetic", package: mainPackage),
            ],
            path: "Sources/BenchmarkFixtures"
        ),
        suite("BackupBenchmarks", [.product(name: "SindriBackup", package: mainPackage)]),
        suite("CompressionLevelBenchmarks", [.product(name: "SindriBackup", package: mainPackage)]),
        suite("HashingBenchmarks", [.product(name: "Crypto", package: "swift-crypto")]),
        suite("DeflateEngineBenchmarks", ["CLibdeflateBench"]),
        suite("SmallFilesBenchmarks", [.product(name: "SindriBackup", package: mainPackage)]),
        suite("PeakMemoryBenchmarks", [.product(name: "SindriBackup", package: mainPackage)]),
        suite("RestoreBenchmarks", [.product(name: "SindriBackup", package: mainPackage)]),
    ]
)
