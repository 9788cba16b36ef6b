import FlexNVMe
import FlexTCP
import FlexTestHosts
import Foundation
import Synchronization

/// A server run from a test namespace on a thread of its own: our target over kernel sockets (on
/// every address) or over FlexTCP (on an interface without a kernel address), or our host's FlexTCP
/// stack for the duration of a body.
///
/// Contract: the factory returns once the server serves (its socket or stack is open in the
/// namespace); `stop()` asks it to return and waits for its thread. Failures to start are thrown.
final class NamespacedServer: Sendable {
    private let stopper = Mutex<(@Sendable () -> Void)?>(nil)
    private let outcome = Mutex<Result<Void, any Error>?>(nil)

    /// Runs `serve` on a new thread inside `namespace`; `serve` calls `ready` with how to stop it once it serves.
    private init(in namespace: TestNamespace, _ serve: @escaping @Sendable (_ ready: @Sendable (@escaping @Sendable () -> Void) -> Void) throws -> Void) throws {
        let thread = Thread { [self] in
            let result = Result { try namespace.perform { try serve { stop in self.stopper.withLock { $0 = stop } } } }
            outcome.withLock { $0 = result }
        }
        thread.start()
        while stopper.withLock({ $0 == nil }) {
            if let failed = outcome.withLock({ $0 }) {
                try failed.get()
                throw GuestError.guest("the server returned before serving")
            }
            usleep(1000)
        }
    }

    /// Asks the server to return and waits for it.
    func stop() {
        stopper.withLock { $0 }?()
        while outcome.withLock({ $0 == nil }) { usleep(1000) }
    }

    /// `target` on the kernel's sockets at its configured port, on every address of `namespace`.
    static func linuxTarget(_ target: NVMeTarget, in namespace: TestNamespace) throws -> NamespacedServer {
        try NamespacedServer(in: namespace) { ready in
            let server = try LinuxTargetServer(target: target, threads: 2)
            ready { server.stop() }
            server.run()
        }
    }

    /// `target` on FlexTCP at `address` (A.B.C.D/P) on `interface` (AF_PACKET), at its configured port.
    static func flexTCPTarget(_ target: NVMeTarget, in namespace: TestNamespace, interface: String, address: String) throws -> NamespacedServer {
        try NamespacedServer(in: namespace) { ready in
            var configuration = FlexTCPStack.Configuration(address: address)
            configuration.threading = .applicationDriven
            configuration.receiveBufferSize = 1 << 20
            configuration.sendBufferSize = 1 << 20
            try FlexTCPStack.withStack(on: .interface(named: interface), configuration: configuration) { stack in
                let server = FlexTCPTargetServer(target: target, context: try stack.makeContext(),
                                                 localAddress: String(describing: stack.address), driving: stack)
                ready { server.stop() }
                try server.run(receiveBufferSize: configuration.receiveBufferSize)
            }
        }
    }
}
