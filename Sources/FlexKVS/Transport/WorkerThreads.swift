import Foundation

/// Threads running one closure each, joined together (`join` waits for every one to return).
final class WorkerThreads: @unchecked Sendable {
    private let finished = DispatchSemaphore(value: 0)
    private var started = 0

    /// Starts a thread running `body`.
    func start(name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread { [finished] in
            body()
            finished.signal()
        }
        thread.name = name
        thread.stackSize = 1 << 20
        started += 1
        thread.start()
    }

    /// Waits until every started thread has returned.
    func join() {
        while started > 0 {
            finished.wait()
            started -= 1
        }
    }
}
