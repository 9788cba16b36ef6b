// A client for an echo server: connects from a real network interface (no kernel IPv4 address
// on it; CAP_NET_RAW needed), sends a message, prints the echo:
//
//     swift run EchoClient eth1 10.0.0.3/24 10.0.0.2 7 "hello"
import FlexTCP
import Foundation

let arguments = CommandLine.arguments
guard arguments.count == 6, let server = IPv4Address(arguments[3]), let port = UInt16(arguments[4]) else {
    print("usage: EchoClient INTERFACE ADDRESS/PREFIX SERVER-ADDRESS PORT MESSAGE")
    exit(2)
}
let message = Array(arguments[5].utf8)

try await FlexTCPStack.run(on: .interface(named: arguments[1]), configuration: .init(address: arguments[2])) { stack in
    let connection = try await stack.connect(to: server, port: port)
    try await connection.write(message)
    try await connection.close()
    var echo: [UInt8] = []
    for try await chunk in connection.inbound { echo += chunk }
    print(String(decoding: echo, as: UTF8.self))
}
