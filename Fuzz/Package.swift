// swift-tools-version: 6.0
// Coverage-guided fuzz targets (libFuzzer) for kvreplay's input parsers. Build and run with `Fuzz/run.sh TARGET SECONDS`;
// the script passes `-sanitize=fuzzer,address -parse-as-library` to every module, so libFuzzer supplies `main`.
import PackageDescription

let deps: [Target.Dependency] = [
    .product(name: "KVReplayModel", package: "kvreplay"),
    .product(name: "KVReplayIO", package: "kvreplay"),
    .product(name: "KVReplayEvaluation", package: "kvreplay"),
    .product(name: "KVReplayIngest", package: "kvreplay"),
    .product(name: "KVReplayEngine", package: "kvreplay"),
]

let package = Package(
    name: "kvreplay-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "kvreplay", path: "..")],
    targets: [
        .target(name: "FuzzSupport", dependencies: deps),
        .target(name: "FuzzEntry"),
        .executableTarget(name: "FuzzPayload", dependencies: deps + ["FuzzSupport", "FuzzEntry"]),
        .executableTarget(name: "FuzzLogs", dependencies: deps + ["FuzzSupport", "FuzzEntry"]),
        .executableTarget(name: "FuzzUser", dependencies: deps + ["FuzzSupport", "FuzzEntry"]),
        .executableTarget(name: "FuzzSnapshot", dependencies: deps + ["FuzzSupport", "FuzzEntry"]),
    ]
)
