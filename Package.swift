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
        // The layers under and over the engine, for the fuzz targets and benchmarks.
        .library(name: "SindriSystem", targets: ["SindriSystem"]),
        .library(name: "SindriJournal", targets: ["SindriJournal"]),
        .library(name: "SindriReporting", targets: ["SindriReporting"]),
        .executable(name: "sindri", targets: ["sindri"]),
        .executable(name: "sindri-workspace", targets: ["sindri-workspace"]),
    ],
    // `ObjectStorage` (on by default) builds the S3 and HTTPS archive locations, and with them
    // swift-nio, swift-nio-ssl and async-http-client. The fuzz package (Fuzz/) turns it off: its
    // sanitizer build then compiles none of those, which keeps the test command's time down.
    // Without it the engine reads and writes local files and stdin/stdout only; the `sindri`
    // executable needs it.
    traits: [
        .trait(name: "ObjectStorage", description: "S3 destinations and sources, HTTPS sources"),
        .default(enabledTraits: ["ObjectStorage"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.100.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.30.0"),
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
        // The system layer: syscalls, descriptors, directory reading, the blocking-I/O executor,
        // signals and the error type every layer above reports with.
        .target(
            name: "SindriSystem",
            dependencies: ["CSindriSystem", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // The restore journal without I/O: records, codec, the transaction state machine and the
        // recovery planner, so they can be reasoned about and tested as pure functions.
        .target(name: "SindriJournal", dependencies: ["SindriArchive"]),
        // The engine: walk, write, restore, snapshot, inspect, and the library API.
        .target(
            name: "SindriBackup",
            dependencies: [
                "SindriArchive", "SindriCodecs", "SindriSystem", "SindriJournal", "CSindriSystem", "SindriAge",
                .target(name: "SindriRemote", condition: .when(traits: ["ObjectStorage"])),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // Object storage and HTTP(S): the SigV4 signer, the S3 client, the credential chain and the HTTP reader.
        .target(
            name: "SindriRemote",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // Leaves on top of the engine, which never imports them: JSON events, the progress format
        // and the compression bench.
        .target(
            name: "SindriReporting",
            dependencies: ["SindriBackup", "SindriSystem", "SindriJournal", "SindriArchive", "SindriCodecs"]
        ),
        // Deterministic realistic workspaces for tests, benchmarks and `sindri bench --synthetic`.
        .target(name: "SindriSynthetic"),
        .executableTarget(
            name: "sindri",
            dependencies: [
                "SindriBackup", "SindriReporting", "SindriSystem", "SindriSynthetic",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "sindri-workspace", dependencies: ["SindriSynthetic"]),

        // Helpers every test target shares: temporary folders, running tools and the built `sindri`,
        // the fixture homes, tree snapshots and SHA256. Each test target re-exports it from
        // TestSupportExports.swift.
        .target(
            name: "SindriTestSupport",
            dependencies: ["SindriSynthetic", .product(name: "Crypto", package: "swift-crypto")],
            path: "Tests/SindriTestSupport"
        ),
        .testTarget(name: "SindriCodecsTests", dependencies: ["SindriCodecs", "SindriTestSupport"]),
        .testTarget(name: "SindriArchiveTests", dependencies: ["SindriArchive", "SindriTestSupport"]),
        .testTarget(
            name: "SindriAgeTests",
            dependencies: ["SindriAge", "CZlib", .product(name: "Crypto", package: "swift-crypto")],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "SindriBackupTests",
            dependencies: [
                "SindriBackup", "SindriSystem", "SindriJournal", "SindriSynthetic", "SindriAge", "SindriTestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "SindriEndToEndTests",
            dependencies: [
                "SindriArchive", "SindriSynthetic", "SindriBackup", "SindriSystem", "SindriReporting", "SindriTestSupport",
            ]
        ),
        .testTarget(
            name: "SindriRemoteTests",
            dependencies: ["SindriRemote", "SindriTestSupport"],
            resources: [.copy("Fixtures")]
        ),
    ]
)
