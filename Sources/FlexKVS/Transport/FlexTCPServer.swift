import FlexTCP
import Synchronization

/// FlexKVS on a FlexTCP stack (embedded, through the `FlexTCP` library as any application): the
/// calling thread serves one low-level `Context` that listens and accepts. With one thread the
/// stack is application-driven: the calling thread runs it too, no wake-up crosses threads. With
/// `threads` > 1 the stack runs on its own thread and `threads - 1` more threads serve a context
/// each, taking connections the first moves to them round robin.
///
/// Contract: `run` blocks until `shouldStop` returns true (checked at least every 100 ms), then
/// stops and joins its threads and closes the stack. `ready` is called once the port is open.
/// Throws `TransportError` if the stack cannot start or the port cannot be opened.
public enum FlexTCPServer {
    public static func run(server: CacheServer, on port: NetworkPort, address: String, tcpPort: UInt16, threads: Int = 1,
                           connectionCapacity: Int = 1024,
                           ready: () -> Void, shouldStop: () -> Bool) throws(TransportError) {
        var configuration = Self.configuration(address: address, threads: threads, connectionCapacity: connectionCapacity)
        let drivesStack = threads <= 1
        if drivesStack { configuration.threading = .applicationDriven }
        do {
            try FlexTCPStack.withStack(on: port, configuration: configuration) { stack in
                let main = try stack.makeContext()
                let workers = try WorkerContexts(stack: stack, server: server, count: max(1, threads) - 1)
                defer { workers.stop() }
                let service = FlexTCPService(context: main, server: server, port: tcpPort, workers: workers.contexts)
                var announced = false
                while !shouldStop() {
                    if let error = service.listenError { throw TransportError("cannot listen on port \(tcpPort): \(error)") }
                    if service.isListening && !announced {
                        announced = true
                        ready()
                    }
                    if drivesStack {
                        let stackBusy = stack.poll()
                        if !service.step() && !stackBusy { stack.waitForWork(timeout: .milliseconds(100)) }
                    } else if !service.step() {
                        service.context.wait(timeout: .milliseconds(100))
                    }
                }
            }
        } catch let error as TransportError {
            throw error
        } catch {
            throw TransportError("FlexTCP: \(error)")
        }
    }

    /// The stack configuration `run` uses (before its threading), for a benchmark that steps the
    /// same server itself.
    package static func configuration(address: String, threads: Int, connectionCapacity: Int) -> FlexTCPStack.Configuration {
        var configuration = FlexTCPStack.Configuration(address: address)
        configuration.connectionCapacity = connectionCapacity
        configuration.contextCount = max(1, threads)
        return configuration
    }
}

/// The serving threads beyond the first: each makes its context on its own thread (as the
/// library asks) and serves the connections moved to it until `stop`.
private final class WorkerContexts: @unchecked Sendable {
    // Sendable: `registered` is written by the worker threads under `registration` before `init`
    // returns, `contexts` only read afterwards; each context is polled by its own thread only.
    private(set) var contexts: [Context] = []
    private var registered: [Context] = []
    private let registration = PartitionLock()
    private let stopping = Atomic<Bool>(false)
    private let threads = WorkerThreads()

    init(stack: FlexTCPStack, server: CacheServer, count: Int) throws(TransportError) {
        let failure = Mutex<String?>(nil)
        for index in 0..<count {
            threads.start(name: "flexkvs-\(index + 1)") { [self] in
                let context: Context
                do {
                    context = try stack.makeContext()
                } catch {
                    failure.withLock { $0 = "\(error)" }
                    return
                }
                registration.withLock { registered.append(context) }
                let service = FlexTCPService(context: context, server: server, port: nil)
                while !stopping.load(ordering: .acquiring) {
                    if !service.step() { context.wait(timeout: .milliseconds(100)) }
                }
            }
        }
        while registration.withLock({ registered.count }) < count {
            if let reason = failure.withLock({ $0 }) {
                stop()
                throw TransportError("FlexTCP context: \(reason)")
            }
            usleepBriefly()
        }
        contexts = registration.withLock { registered }
    }

    /// Ends and joins the worker threads.
    func stop() {
        stopping.store(true, ordering: .releasing)
        threads.join()
    }

    private func usleepBriefly() {
        var pause = timespec(tv_sec: 0, tv_nsec: 1_000_000)
        nanosleep(&pause, nil)
    }
}

#if canImport(Glibc)
import Glibc
#endif
