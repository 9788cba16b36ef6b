// The low-level context API (the dissertation's A.4 model): contexts, events from `poll`, bytes
// moved in the rings themselves (`freeReceivedBytes`, `reserveSendSpace` + `sendReserved`).
// Two stacks on an in-memory wire; this one thread polls a server context on one and a client
// context on the other until the client has its message back.
import FlexTCP

let wire = try InMemoryWire()
let message = Array("hello, low-level FlexTCP".utf8)

try FlexTCPStack.withStack(on: wire.second, configuration: .init(address: "198.18.0.2/24")) { serverStack in
    try FlexTCPStack.withStack(on: wire.first, configuration: .init(address: "198.18.0.1/24")) { clientStack in
        let server = try serverStack.makeContext()
        let client = try clientStack.makeContext()
        let listener = server.listen(on: 7)
        var echo: [UInt8] = []
        var done = false

        while !done {
            // Server: accept once listening; echo what arrives, straight from ring to ring.
            let serverEvents = server.poll { event in
                switch event {
                case .listening:
                    _ = server.accept(on: listener)
                    _ = client.connect(to: serverStack.address, port: 7)
                case .received(let accepted, let bytes):
                    // (A full server would echo the rest once `sendSpaceAvailable` comes.)
                    let space = server.reserveSendSpace(bytes.count, on: accepted)
                    let copied = bytes.copyBytes(to: space)
                    server.sendReserved(copied, on: accepted)
                    server.freeReceivedBytes(copied, of: accepted)
                case .endOfStream(let accepted):
                    server.close(accepted)
                case .listenFailed(_, let error), .acceptFailed(_, let error):
                    fatalError("server: \(error)")
                default:
                    break
                }
            }
            // Client: send the message once connected, collect the echo, close when complete.
            let clientEvents = client.poll { event in
                switch event {
                case .connected(let open):
                    let space = client.reserveSendSpace(message.count, on: open)
                    client.sendReserved(space.copyBytes(from: message), on: open)
                case .received(let open, let bytes):
                    echo += bytes
                    client.freeReceivedBytes(bytes.count, of: open)
                    if echo.count == message.count { client.close(open) }
                case .closed:
                    done = true
                case .connectFailed(_, let error):
                    fatalError("client: \(error)")
                default:
                    break
                }
            }
            if serverEvents + clientEvents == 0 { client.wait(timeout: .milliseconds(1)) }
        }
        print("echoed: \(String(decoding: echo, as: UTF8.self))")
    }
}
print("low-level echo: done")
