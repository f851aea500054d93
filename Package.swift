// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "sindri-backup",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "SindriBackup", targets: ["SindriBackup"]),
        .library(name: "SindriSynthetic", targets: ["SindriSynthetic"]),
        // The readers of untrusted input, for the fuzz targets in Fuzz/.
        .library(name: "SindriCodecs", targets: ["SindriCodecs"]),
        .library(name: "SindriArchive", targets: ["SindriArchive"]),
        .executable(name: "sindri", targets: ["sindri"]),
        .executable(name: "sindri-workspace", targets: ["sindri-workspace"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // C libraries from Debian's -dev packages.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
        .systemLibrary(name: "CLibdeflate", pkgConfig: "libdeflate", providers: [.apt(["libdeflate-dev"])]),

        // Shims for Linux system calls Swift cannot call directly (openat2, renameat2).
        .target(name: "CSindriSystem"),
        // Synchronous codecs over buffers; the only module that imports the C targets.
        .target(name: "SindriCodecs", dependencies: ["CZlib", "CLZ4", "CLibdeflate"]),
        // The age file format (age-encryption.org/v1): header, X25519 and scrypt recipients,
        // STREAM payload chunks. Pure functions over buffers, no I/O.
        .target(
            name: "SindriAge",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        // Pure value types: tar headers, manifest, patterns and profiles. No I/O.
        .target(name: "SindriArchive"),
        // The engine and the library API named in the user guide.
        .target(
            name: "SindriBackup",
            dependencies: [
                "SindriArchive", "SindriCodecs", "CSindriSystem", "SindriAge",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // Deterministic realistic workspaces for tests, benchmarks and `sindri bench --synthetic`.
        .target(name: "SindriSynthetic"),
        .executableTarget(
            name: "sindri",
            dependencies: [
                "SindriBackup", "SindriSynthetic",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "sindri-workspace", dependencies: ["SindriSynthetic"]),

        .testTarget(name: "SindriCodecsTests", dependencies: ["SindriCodecs"]),
        .testTarget(name: "SindriArchiveTests", dependencies: ["SindriArchive"]),
        .testTarget(
            name: "SindriAgeTests",
            dependencies: ["SindriAge", "CZlib", .product(name: "Crypto", package: "swift-crypto")],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "SindriBackupTests",
            dependencies: ["SindriBackup", "SindriSynthetic", "SindriAge", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .testTarget(name: "SindriEndToEndTests", dependencies: ["SindriArchive", "SindriSynthetic", "SindriBackup"]),
    ]
)
