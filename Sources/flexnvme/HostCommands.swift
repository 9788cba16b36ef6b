import ArgumentParser
import FlexNVMe
import FlexTCPTools
import Foundation

/// `flexnvme connect`: connects (admin and I/O queues) and reports; on the discovery NQN, lists the log page.
struct ConnectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "connect", abstract: "Connect to a subsystem and report what was granted.")
    @OptionGroup var host: HostCommandOptions

    func run() throws {
        try host.withHost { host in
            if host.options.subsystemNQN == NQN.discovery {
                for entry in try host.discoveryLog() {
                    print("subsystem \(entry.subsystemNQN) at \(entry.address):\(entry.serviceID) (TCP, IPv4)")
                }
                return
            }
            print("connected: controller \(host.controllerID), \(host.ioQueues.count) I/O queues, namespace 1: \(host.blockCount) blocks of \(host.blockSize) bytes")
        }
    }
}

/// `flexnvme identify`: the controller's and namespace 1's identity.
struct IdentifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "identify", abstract: "Print Identify Controller and Namespace fields.")
    @OptionGroup var host: HostCommandOptions

    func run() throws {
        try host.withHost { host in
            let data = host.controllerData
            print("model \(data.text(at: 24, width: 40)), serial \(data.text(at: 4, width: 20)), firmware \(data.text(at: 64, width: 8))")
            print("subsystem \(data.text(at: 768, width: 256)), controller \(host.controllerID), MDTS \(data[77]), "
                  + "volatile write cache \(data[525] & 1 == 1 ? "yes" : "no")")
            if host.blockCount > 0 { print("namespace 1: \(host.blockCount) blocks of \(host.blockSize) bytes") }
        }
    }
}

/// `flexnvme read`: reads blocks and writes them to a file or prints their SHA-256.
struct ReadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "read", abstract: "Read blocks of namespace 1.")
    @OptionGroup var host: HostCommandOptions
    @Option(help: "First logical block.") var lba: UInt64 = 0
    @Option(help: "Blocks to read.") var blocks = 1
    @Option(help: "File to write the data to (else its SHA-256 is printed).") var output: String?

    func run() throws {
        try host.withHost { host in
            var data = [UInt8](repeating: 0, count: blocks * host.blockSize)
            let statuses = try data.withUnsafeMutableBytes { try host.run([BlockIO(.read, lba: lba, buffer: $0)]) }
            guard statuses[0].isSuccess else { throw HostError.command(statuses[0]) }
            if let output {
                try Data(data).write(to: URL(fileURLWithPath: output))
            } else {
                var hash = SHA256()
                hash.update(data)
                print("read \(data.count) bytes at block \(lba): SHA-256 \(hash.hexDigest())")
            }
        }
    }
}

/// `flexnvme write`: writes a file's bytes, or seeded bytes, at a block.
struct WriteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "write", abstract: "Write blocks of namespace 1.")
    @OptionGroup var host: HostCommandOptions
    @Option(help: "First logical block.") var lba: UInt64 = 0
    @Option(help: "File whose bytes are written (padded with zeros to whole blocks).") var input: String?
    @Option(help: "Without --input: blocks of seeded bytes to write.") var blocks = 1
    @Option(help: "Without --input: the seed of the bytes.") var seed: UInt64 = 1

    func run() throws {
        try host.withHost { host in
            var data: [UInt8]
            if let input {
                data = Array(try Data(contentsOf: URL(fileURLWithPath: input)))
                data += [UInt8](repeating: 0, count: (host.blockSize - data.count % host.blockSize) % host.blockSize)
            } else {
                data = [UInt8](repeating: 0, count: blocks * host.blockSize)
                var stream = SeededByteStream(seed: seed)
                data.withUnsafeMutableBytes { stream.fill($0) }
            }
            let statuses = try data.withUnsafeMutableBytes { try host.run([BlockIO(.write, lba: lba, buffer: $0)]) }
            guard statuses[0].isSuccess else { throw HostError.command(statuses[0]) }
            var hash = SHA256()
            hash.update(data)
            print("wrote \(data.count) bytes at block \(lba): SHA-256 \(hash.hexDigest())")
        }
    }
}
