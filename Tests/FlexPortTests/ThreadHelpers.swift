import Foundation

/// Runs each body on its own thread and returns when all have finished.
func runOnThreads(_ bodies: [@Sendable () -> Void]) async {
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        let group = DispatchGroup()
        for body in bodies {
            group.enter()
            Thread {
                body()
                group.leave()
            }.start()
        }
        group.notify(queue: .global()) { continuation.resume() }
    }
}

/// A value one thread writes before it finishes and the test reads after `runOnThreads` returns.
final class ThreadResult<Value>: @unchecked Sendable {
    // Sendable: written by exactly one thread, read only after the DispatchGroup that thread leaves
    // has notified, which orders the write before the read.
    var value: Value
    init(_ value: Value) { self.value = value }
}
