// An echo server on a real network interface. The interface must carry no kernel IPv4 address
// (FlexTCP answers ARP for its own); opening it needs CAP_NET_RAW (e.g. run as root):
//
//     swift run EchoServer eth1 10.0.0.2/24 7
//
// then from another host on that network: `nc 10.0.0.2 7`. Stop it with Ctrl-C.
import FlexTCP
import Foundation

let arguments = CommandLine.arguments
guard arguments.count == 4, let port = UInt16(arguments[3]) else {
    print("usage: EchoServer INTERFACE ADDRESS/PREFIX PORT")
    exit(2)
}

try await FlexTCPStack.run(on: .interface(named: arguments[1]), configuration: .init(address: arguments[2])) { stack in
    let listener = try await stack.listen(on: port)
    print("echo server at \(stack.address):\(port)")
    try await withThrowingDiscardingTaskGroup { group in
        for try await connection in listener {
            print("connection from \(connection.remoteAddress):\(connection.remotePort)")
            group.addTask {
                for try await chunk in connection.inbound { try await connection.write(chunk) }
                try await connection.close()
            }
        }
    }
}
