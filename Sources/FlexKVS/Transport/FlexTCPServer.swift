import FlexTCP

/// FlexKVS on a FlexTCP stack (embedded, through the `FlexTCP` library as any application):
/// the stack runs on its own thread; the calling thread serves one low-level `Context`.
///
/// Contract: `run` blocks until `shouldStop` returns true (checked at least every 100 ms), then
/// closes the stack. `ready` is called once the port is open. Throws `TransportError` if the stack
/// cannot start or the port cannot be opened.
public enum FlexTCPServer {
    public static func run(server: CacheServer, on port: NetworkPort, address: String, tcpPort: UInt16,
                           connectionCapacity: Int = 1024,
                           ready: () -> Void, shouldStop: () -> Bool) throws(TransportError) {
        var configuration = FlexTCPStack.Configuration(address: address)
        configuration.connectionCapacity = connectionCapacity
        configuration.contextCount = 1
        do {
            try FlexTCPStack.withStack(on: port, configuration: configuration) { stack in
                let service = FlexTCPService(context: try stack.makeContext(), server: server, port: tcpPort)
                var announced = false
                while !shouldStop() {
                    if let error = service.listenError { throw TransportError("cannot listen on port \(tcpPort): \(error)") }
                    if service.isListening && !announced {
                        announced = true
                        ready()
                    }
                    if !service.step() { service.context.wait(timeout: .milliseconds(100)) }
                }
            }
        } catch let error as TransportError {
            throw error
        } catch {
            throw TransportError("FlexTCP: \(error)")
        }
    }
}
