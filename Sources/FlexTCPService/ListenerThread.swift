import FlexPort
import FlexTCPCore
#if canImport(Glibc)
import Glibc
#endif

/// A listening socket and the thread that serves it (flextcpd's attach socket, its metrics endpoint).
///
/// Contract: `init` takes ownership of `listener` (closing it if it fails). `start` runs `serve`
/// on a new thread; `serve` must return once `stopping` polls readable. `stop` signals `stopping`,
/// joins the thread and closes the listener.
final class ListenerThread: @unchecked Sendable {
    // Sendable: the descriptors never change; `thread` is touched by start and stop only (one thread).
    let listener: Int32
    let stopping: WakeupSignal
    private var thread: JoinableThread?

    init(listener: Int32) throws(SharedMemoryError) {
        self.listener = listener
        do {
            stopping = try WakeupSignal()
        } catch {
            Glibc.close(listener)
            throw SharedMemoryError(operation: "eventfd", code: error.code)
        }
    }

    func start(_ serve: @escaping @Sendable () -> Void) throws(SharedMemoryError) {
        do {
            thread = try JoinableThread(serve)
        } catch {
            throw SharedMemoryError(operation: "pthread_create", code: error.code)
        }
    }

    func stop() {
        stopping.signal()
        thread?.join()
        thread = nil
        Glibc.close(listener)
    }
}
