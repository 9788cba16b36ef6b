// Async echo: a server and a client, each on a FlexTCP stack of its own, joined by an in-memory
// wire in this process. The server echoes every connection; the client sends three messages on
// one connection and prints what comes back.
import FlexTCP

let wire = try InMemoryWire()
let port: UInt16 = 7

try await FlexTCPStack.run(on: wire.second, configuration: .init(address: "198.18.0.2/24")) { server in
    let listener = try await server.listen(on: port)
    try await withThrowingTaskGroup(of: Void.self) { group in
        // The server: every connection echoed until the client finishes, then closed.
        group.addTask {
            for try await connection in listener {
                for try await chunk in connection.inbound { try await connection.write(chunk) }
                try await connection.close()
            }
        }
        // The client, on the other end of the wire.
        try await FlexTCPStack.run(on: wire.first, configuration: .init(address: "198.18.0.1/24")) { client in
            let connection = try await client.connect(to: server.address, port: port)
            var inbound = connection.inbound.makeAsyncIterator()
            for message in ["hello", "from", "FlexTCP"] {
                try await connection.write(message.utf8)
                var echo: [UInt8] = []
                while echo.count < message.utf8.count, let chunk = try await inbound.next() { echo += chunk }
                print("echoed: \(String(decoding: echo, as: UTF8.self))")
            }
            try await connection.close()
        }
        group.cancelAll()
    }
}
print("async echo: done")
