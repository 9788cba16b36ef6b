// swift-tools-version: 6.0
import PackageDescription

let optimize: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "FlexTCP",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "FlexWire", targets: ["FlexWire"]),
        .library(name: "FlexPort", targets: ["FlexPort"]),
        .library(name: "FlexTCP", targets: ["FlexTCP"]),
        .library(name: "FlexNIC", targets: ["FlexNIC"]),
        .executable(name: "flexnic", targets: ["flexnic"]),
        .executable(name: "flextcp", targets: ["flextcp"]),
        .executable(name: "flexbench", targets: ["flexbench"]),
        .executable(name: "flextcp-fuzz", targets: ["flextcp-fuzz"]),
        .executable(name: "flextcpd", targets: ["flextcpd"]),
        .library(name: "FlexTCPPOSIX", type: .dynamic, targets: ["FlexTCPPOSIX"]),
        .executable(name: "flexkvs", targets: ["flexkvs"]),
        .library(name: "FlexNVMe", targets: ["FlexNVMe"]),
        .executable(name: "flexnvme", targets: ["flexnvme"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-atomics", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // Kernel structs/macros Swift cannot import directly, and the SSE4.2 CRC32C loop.
        .target(name: "CFlexShim", cSettings: [.unsafeFlags(["-O2"])]),
        // Wire formats: checked views and value representations, checksums, sequence arithmetic.
        .target(name: "FlexWire", dependencies: ["CFlexShim"], swiftSettings: optimize),
        // Frame I/O: the Port protocol, backends, and middleware.
        .target(
            name: "FlexPort",
            dependencies: ["FlexWire", "CFlexShim", .product(name: "Atomics", package: "swift-atomics")],
            swiftSettings: optimize),
        // The FlexNIC model: programs (parse graph, match+action stages), validator, compiled pipelines,
        // the NIC port middleware, queue manager, standard building blocks; and the `flexnic` tool.
        .target(name: "FlexNIC", dependencies: ["FlexWire", "FlexPort"], swiftSettings: optimize),
        .executableTarget(
            name: "flexnic",
            dependencies: ["FlexNIC", "FlexPort", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: optimize),
        .testTarget(name: "FlexNICTests", dependencies: ["FlexNIC", "FlexPort", "FlexWire"]),
        // The TCP stack: fast path, slow path, queue manager, flow table, congestion control.
        .target(
            name: "FlexTCPCore",
            dependencies: ["CFlexShim", "FlexWire", "FlexPort", .product(name: "Atomics", package: "swift-atomics")],
            swiftSettings: optimize),
        // What applications import: contexts, the low-level API and the async API.
        .target(name: "FlexTCP", dependencies: ["CFlexShim", "FlexTCPCore", "FlexWire", "FlexPort"], swiftSettings: optimize),
        // The services and demos behind the `flextcp` tool (echo, sink, send, demo) on the FlexTCP library, used by it and by the interop tests.
        .target(name: "FlexTCPTools", dependencies: ["CFlexShim", "FlexTCP", "FlexTCPCore", "FlexPort", "FlexWire"], swiftSettings: optimize),
        // flextcpd, the stack as a service applications attach to (settings, attach socket, per-application memory and cleanup).
        .target(
            name: "FlexTCPService",
            dependencies: ["CFlexShim", "FlexWire", "FlexPort", "FlexTCPCore", "FlexTCP", "FlexTCPTools",
                           .product(name: "Logging", package: "swift-log"), .product(name: "Metrics", package: "swift-metrics"),
                           .product(name: "Prometheus", package: "swift-prometheus")],
            swiftSettings: optimize),
        .executableTarget(
            name: "flextcpd",
            dependencies: ["CFlexShim", "FlexTCPService", .product(name: "Logging", package: "swift-log"),
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: optimize),
        // The POSIX sockets library for LD_PRELOAD (libFlexTCPPOSIX.so, `flextcp run`): the C half interposes
        // libc's socket calls (variadic ones included), the Swift half puts TCP/IPv4 sockets on flextcpd.
        .target(name: "CFlexPOSIX", exclude: ["exports.map"], cSettings: [.unsafeFlags(["-O2"])], linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "FlexTCPPOSIX", dependencies: ["CFlexPOSIX", "FlexTCP", "FlexWire", "FlexPort"], swiftSettings: optimize,
                linkerSettings: [.unsafeFlags(["-static-stdlib", "-Xlinker", "--version-script=\(Context.packageDirectory)/Sources/CFlexPOSIX/exports.map"])]),
        // Network-namespace test hosts (198.18.0.0/15) for tests and tools.
        .target(name: "FlexTestHosts", dependencies: []),
        // The fuzz driver: a stack with one established connection fed forged frames, invariants
        // checked after each (shared by the test-suite loop and the libFuzzer entry point).
        .target(name: "FlexTCPFuzz", dependencies: ["FlexTCPCore", "FlexWire", "FlexPort"]),
        // Seeded loop when built normally; libFuzzer with: swift build -c release --scratch-path .build-fuzz
        //   -Xswiftc -sanitize=fuzzer -Xswiftc -parse-as-library -Xswiftc -DFLEXTCP_LIBFUZZER --product flextcp-fuzz
        .executableTarget(name: "flextcp-fuzz", dependencies: ["FlexTCPFuzz"]),
        .executableTarget(
            name: "flextcp",
            dependencies: ["CFlexShim", "FlexWire", "FlexPort", "FlexTCP", "FlexTCPCore", "FlexTCPTools", "FlexTCPService",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        // The benchmark workloads, systems under test (FlexTCP, Linux sockets) and their reports.
        .target(
            name: "FlexBench",
            dependencies: ["CFlexShim", "FlexWire", "FlexPort", "FlexTCPCore", "FlexTCP", "FlexTestHosts",
                           .product(name: "Atomics", package: "swift-atomics"),
                           .product(name: "Histogram", package: "hdrhistogram-swift")],
            swiftSettings: optimize),
        .executableTarget(
            name: "flexbench",
            dependencies: ["FlexBench", "FlexWire", "FlexPort", "FlexTCPCore", "FlexTestHosts", "FlexNIC", "FlexKVS", "FlexTCP",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: optimize),
        // FlexKVS: the memcached-compatible key-value store (store, text and binary protocols, transports).
        .target(name: "FlexKVS", dependencies: ["FlexTCP", "FlexWire", "CFlexShim", .product(name: "Atomics", package: "swift-atomics")],
                swiftSettings: optimize),
        .executableTarget(name: "flexkvs", dependencies: ["FlexKVS", "FlexTCP", "FlexTCPTools", "CFlexShim", .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          swiftSettings: optimize),
        // What the stack tests share: the pair-of-stacks harness on an in-memory wire and virtual time.
        .target(name: "FlexTestSupport", dependencies: ["FlexTCPCore", "FlexTCPTools", "FlexPort", "FlexWire"], path: "Tests/FlexTestSupport"),
        .testTarget(name: "FlexWireTests", dependencies: ["FlexWire", "FlexPort"]),
        .testTarget(name: "FlexPortTests", dependencies: ["FlexPort", "FlexWire"]),
        .testTarget(name: "FlexTCPCoreTests", dependencies: ["FlexTCPCore", "FlexPort", "FlexWire", "FlexTCPFuzz", "FlexTCPTools",
                                                          "FlexTestSupport"]),
        .testTarget(name: "FlexTCPToolsTests", dependencies: ["FlexTCPTools", "FlexTCP", "FlexTCPCore", "FlexPort", "FlexWire",
                                                           "FlexTestSupport"]),
        .testTarget(name: "ConformanceTests", dependencies: ["FlexTCPCore", "FlexPort", "FlexWire", "FlexTestSupport"]),
        .testTarget(name: "FlexTCPTests", dependencies: ["FlexTCP", "FlexTCPCore", "FlexPort", "FlexWire", "FlexTCPTools", "FlexTestSupport"]),
        .testTarget(name: "FlexBenchTests", dependencies: ["FlexBench"]),
        .testTarget(name: "ServiceTests", dependencies: ["FlexTCPService", "FlexTCP", "FlexTCPCore", "FlexTCPTools", "FlexWire", "FlexTestHosts",
                                                   .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "FlexKVSTests", dependencies: ["FlexKVS", "FlexTCP", "FlexTestHosts", "FlexNIC", "FlexPort", "FlexWire"]),
        // NVMe/TCP: PDU codec, target, host, namespaces, and the kernel-socket and FlexTCP transports (issue 15).
        .target(name: "FlexNVMe", dependencies: ["CFlexShim", "FlexWire", "FlexPort", "FlexTCP"], swiftSettings: optimize),
        .executableTarget(
            name: "flexnvme",
            dependencies: ["FlexNVMe", "FlexTCP", "FlexTCPTools", "FlexBench", "FlexPort", "CFlexShim",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: optimize),
        .testTarget(name: "FlexNVMeTests", dependencies: ["FlexNVMe", "FlexTCP", "FlexWire", "FlexTCPTools", "FlexTestHosts"]),
        .testTarget(name: "PreloadTests", dependencies: ["FlexTestHosts"], exclude: ["Scripts"]),
        .testTarget(name: "InteropTests", dependencies: ["FlexPort", "FlexWire", "FlexTestHosts", "FlexTCP", "FlexTCPCore", "FlexTCPFuzz", "FlexTCPTools"]),
    ]
)
