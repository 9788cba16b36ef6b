// swift-tools-version: 6.0
// One small executable per feature of the FlexTCP library, built as a separate package that
// depends on FlexTCP the way an application's package does (scripts/check-examples builds them
// and runs AsyncEcho).
import PackageDescription

// A path dependency's identity is its directory's name ("FlexTCP" in a clone named so).
let flexTCP = String(Context.packageDirectory.split(separator: "/").dropLast().last ?? "FlexTCP")

let package = Package(
    name: "FlexTCPExamples",
    platforms: [.macOS(.v14)],
    dependencies: [.package(path: "..")],
    targets: [
        // Echo server and client in one process, each on its own stack, over an in-memory wire.
        .executableTarget(name: "AsyncEcho", dependencies: [.product(name: "FlexTCP", package: flexTCP)]),
        // An echo server on a real network interface (AF_PACKET).
        .executableTarget(name: "EchoServer", dependencies: [.product(name: "FlexTCP", package: flexTCP)]),
        // A client for it: sends a message, prints the echo.
        .executableTarget(name: "EchoClient", dependencies: [.product(name: "FlexTCP", package: flexTCP)]),
        // The low-level context API (A.4): one thread polls a server and a client context.
        .executableTarget(name: "LowLevelEcho", dependencies: [.product(name: "FlexTCP", package: flexTCP)]),
    ]
)
