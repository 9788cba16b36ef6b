import FlexPort
import Foundation

/// A fresh directory under /tmp, removed after `body` returns or throws.
func withTemporaryDirectory<Result>(_ body: (String) throws -> Result) throws -> Result {
    let path = "/tmp/flexport-tests-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try body(path)
}

/// Reads a pcap file with FlexPort's reader: returns its snapshot length and records.
func readPcap(_ path: String) throws -> (snapshotLength: Int, records: [PcapRecord]) {
    var reader = try PcapReader(path: path)
    return (reader.snapshotLength, try reader.readAll())
}

/// tshark could not read a capture.
struct TsharkFailed: Error { var status: Int32 }

/// Runs tshark on `path` and returns one array of the requested fields per frame.
func tsharkFields(_ path: String, _ fields: [String]) throws -> [[String]] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/tshark")
    process.arguments = ["-r", path, "-T", "fields"] + fields.flatMap { ["-e", $0] }
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw TsharkFailed(status: process.terminationStatus) }
    return text.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
}

let tsharkIsInstalled = FileManager.default.isExecutableFile(atPath: "/usr/bin/tshark")
