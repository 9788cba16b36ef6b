import Foundation

/// A fresh directory under /tmp, removed after `body` returns or throws.
func withTemporaryDirectory<Result>(_ body: (String) throws -> Result) throws -> Result {
    let path = "/tmp/flexport-tests-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try body(path)
}

/// One record of a pcap file as the minimal reader below sees it.
struct PcapRecord: Equatable {
    var timestampNanoseconds: UInt64
    var originalLength: Int
    var bytes: [UInt8]
}

enum PcapReadError: Error { case truncated, wrongMagic, wrongLinkType }

/// Reads a little-endian, nanosecond-magic pcap file: returns its snapshot length and records.
func readPcap(_ path: String) throws -> (snapshotLength: Int, records: [PcapRecord]) {
    let data = [UInt8](FileManager.default.contents(atPath: path) ?? Data())
    func u32(_ offset: Int) throws -> UInt32 {
        guard offset + 4 <= data.count else { throw PcapReadError.truncated }
        return data[offset..<offset + 4].reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }
    guard try u32(0) == 0xa1b2_3c4d else { throw PcapReadError.wrongMagic }
    guard try u32(20) == 1 else { throw PcapReadError.wrongLinkType }
    let snapshotLength = Int(try u32(16))
    var records: [PcapRecord] = []
    var offset = 24
    while offset < data.count {
        let seconds = UInt64(try u32(offset))
        let nanoseconds = UInt64(try u32(offset + 4))
        let captured = Int(try u32(offset + 8))
        let original = Int(try u32(offset + 12))
        offset += 16
        guard offset + captured <= data.count else { throw PcapReadError.truncated }
        records.append(PcapRecord(timestampNanoseconds: seconds * 1_000_000_000 + nanoseconds, originalLength: original,
                                  bytes: Array(data[offset..<offset + captured])))
        offset += captured
    }
    return (snapshotLength, records)
}

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
    guard process.terminationStatus == 0 else { throw PcapReadError.truncated }
    return text.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
}

let tsharkIsInstalled = FileManager.default.isExecutableFile(atPath: "/usr/bin/tshark")
