#if canImport(Glibc)
import Glibc
#endif

/// A POSIX thread running one closure, which its owner must `join` exactly once.
///
/// Contract: `init` starts the thread (throwing the `pthread_create` error code if it cannot);
/// `join()` blocks until the closure has returned. The closure runs exactly once.
package final class JoinableThread: @unchecked Sendable {
    // Sendable: `handle` is written once in `init` and only read by `join`; the joined flag is
    // guarded by the rule that one thread joins.
    private var handle = pthread_t()
    private var joined = false

    /// Why a thread could not be started: the `pthread_create` error code.
    package struct StartError: Error, Equatable {
        package let code: Int32
    }

    package init(_ body: @escaping @Sendable () -> Void) throws(StartError) {
        let box = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
        let result = pthread_create(&handle, nil, { argument in
            guard let argument else { return nil }
            Unmanaged<ThreadBody>.fromOpaque(argument).takeRetainedValue().body()
            return nil
        }, box)
        guard result == 0 else {
            Unmanaged<ThreadBody>.fromOpaque(box).release()
            throw StartError(code: result)
        }
    }

    /// Waits until the thread's closure has returned (returns at once after the first call).
    package func join() {
        guard !joined else { return }
        joined = true
        pthread_join(handle, nil)
    }
}

/// The closure a `JoinableThread` runs, boxed to cross `pthread_create`.
private final class ThreadBody {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
}
