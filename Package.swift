// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
]

let package = Package(
    name: "Coffer",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "coffer", targets: ["coffer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        // MARK: storage engine
        .systemLibrary(
            name: "CLMDB",
            pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"])]
        ),
        .target(name: "LMDB", dependencies: ["CLMDB"], swiftSettings: swiftSettings),
        .target(name: "Storage", dependencies: ["LMDB"], swiftSettings: swiftSettings),

        // MARK: keys
        .target(name: "Shamir", swiftSettings: swiftSettings),
        .target(
            name: "Barrier",
            dependencies: ["Storage", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),

        // MARK: consensus
        .target(name: "Raft", swiftSettings: swiftSettings),
        .target(name: "Linearizability", swiftSettings: swiftSettings),
        .target(name: "RaftSimulator", dependencies: ["Raft", "Linearizability"], swiftSettings: swiftSettings),
        .executableTarget(name: "raft-soak", dependencies: ["RaftSimulator"], swiftSettings: swiftSettings),
        // The chaos harness's linearizability checker: the simulator's search over a recorded JSON-lines history.
        .executableTarget(name: "coffer-lincheck", dependencies: ["Linearizability"], swiftSettings: swiftSettings),

        .target(
            name: "Cluster",
            dependencies: [
                "Raft", "Storage", "LMDB", "CChecksum",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: language
        .target(name: "HCL", swiftSettings: swiftSettings),
        .target(name: "Policy", dependencies: ["HCL"], swiftSettings: swiftSettings),

        // MARK: the secrets manager
        .target(
            name: "Core",
            dependencies: [
                "Barrier", "Storage", "Shamir", "HCL", "Policy",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Engines",
            dependencies: ["Core", "Storage", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "AppRole",
            dependencies: ["Core", "Storage", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Telemetry",
            dependencies: [
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Audit",
            dependencies: [
                "Core", "Storage",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HA",
            dependencies: [
                "Core", "Cluster", "Raft", "Storage", "LMDB", "Barrier", "Engines",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "API",
            dependencies: [
                "Core",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CofferServer",
            dependencies: [
                "API", "Audit", "Core", "HCL", "Storage", "Barrier", "Engines", "AppRole", "Telemetry", "HA",
                "CSystemHardening", "Cluster", "Raft",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "coffer",
            dependencies: [
                "CofferServer", "Audit", "HA",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings,
            // The release binary as it is deployed. The static Swift runtime's link arguments export every symbol
            // of the executable, and a position-independent executable carries one 24-byte relocation per
            // pointer in its metadata: at start the loader read all 3.5 MB of those relocations and the 4 MB of
            // symbol tables, pages that stayed resident in every idle node (44 MiB, 35 MiB linked this way;
            // bench/run's idle RSS row). lld packs the relative relocations (DT_RELR, glibc 2.36 or later) and
            // nothing the server looks up by name is exported: backtraces read .symtab, not .dynsym.
            linkerSettings: [
                .unsafeFlags(["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
                              "-Xlinker", "--no-export-dynamic"],
                             .when(platforms: [.linux], configuration: .release)),
            ]
        ),

        .target(name: "CSystemHardening", path: "Sources/CSystemHardening"),
        .target(name: "CChecksum", path: "Sources/CChecksum"),

        // MARK: tests
        .target(name: "TestSupport", dependencies: ["Storage"], path: "Sources/TestSupport", swiftSettings: swiftSettings),
        .testTarget(name: "LMDBTests", dependencies: ["LMDB"], swiftSettings: swiftSettings),
        .testTarget(name: "StorageTests", dependencies: ["TestSupport", "Storage"], swiftSettings: swiftSettings),
        .testTarget(name: "ShamirTests", dependencies: ["TestSupport", "Shamir"], swiftSettings: swiftSettings),
        .testTarget(name: "BarrierTests", dependencies: ["TestSupport", "Barrier", "Storage"], swiftSettings: swiftSettings),
        .testTarget(name: "RaftTests", dependencies: ["Raft", "RaftSimulator", "Linearizability"], swiftSettings: swiftSettings),
        .testTarget(name: "LinearizabilityTests", dependencies: ["Linearizability"], swiftSettings: swiftSettings),
        .testTarget(name: "PolicyTests", dependencies: ["TestSupport", "Policy", "HCL"], swiftSettings: swiftSettings),
        .testTarget(name: "HCLTests", dependencies: ["TestSupport", "HCL"], swiftSettings: swiftSettings),
        .testTarget(name: "CoreTests", dependencies: ["TestSupport", "Core", "Storage", "Barrier", "Engines"], swiftSettings: swiftSettings),
        .testTarget(name: "EnginesTests", dependencies: ["Engines", "Core", "Storage", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "AppRoleTests", dependencies: ["AppRole", "Core", "Storage", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "ClusterTests",
            dependencies: ["Cluster", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "AuditTests", dependencies: ["Audit", "Core", "Storage", "Engines", "CofferServer"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "CofferServerTests", dependencies: ["TestSupport", "CofferServer", "Telemetry"], swiftSettings: swiftSettings),
        .testTarget(name: "HATests", dependencies: ["HA", "Cluster", "Raft", "Storage", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "APITests", dependencies: ["API", "CofferServer", "Core", "TestSupport"], swiftSettings: swiftSettings),
    ]
)
