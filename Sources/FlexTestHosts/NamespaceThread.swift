#if canImport(Glibc)
import Glibc

/// Runs a closure on a new thread that first joins a network namespace (setns(2)), and waits for it.
///
/// Contract: the caller's thread never changes namespace; the closure's sockets and devices are
/// created in the namespace at `path` and stay bound to it. Errors from setns and from the closure
/// are rethrown to the caller.
enum NamespaceThread {
    static func run<Result>(inNamespaceAt path: String, _ body: () throws -> Result) throws -> Result {
        try withoutActuallyEscaping(body) { escapable in
            let job = Job(path: path, body: escapable)
            try startAndJoin(job)
            return try job.outcome!.get()
        }
    }

    private static func startAndJoin(_ job: NamespaceJob) throws(TestHostError) {
        var thread = pthread_t()
        let started = pthread_create(&thread, nil, { context in
            Unmanaged<NamespaceJob>.fromOpaque(context!).takeUnretainedValue().runHere()
            return nil
        }, Unmanaged.passUnretained(job).toOpaque())
        guard started == 0 else { throw .failed("pthread_create", code: started) }
        pthread_join(thread, nil)
    }

    /// Work for the namespace thread (type-erased so the thread entry point needs no generics).
    private class NamespaceJob {
        func runHere() {}
    }

    /// Joins the namespace, runs `body`, keeps the outcome; read back only after `pthread_join`.
    private final class Job<Result>: NamespaceJob {
        let path: String
        let body: () throws -> Result
        var outcome: Swift.Result<Result, any Error>?

        init(path: String, body: @escaping () throws -> Result) {
            self.path = path
            self.body = body
        }

        override func runHere() {
            outcome = Swift.Result { () throws -> Result in
                try NamespaceThread.enterNamespace(at: path)
                return try body()
            }
        }
    }

    fileprivate static func enterNamespace(at path: String) throws(TestHostError) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .failed("open(\(path))", code: errno) }
        defer { close(descriptor) }
        guard let setNamespace = setNamespaceFunction else { throw .failed("dlsym(setns)", code: ENOSYS) }
        guard setNamespace(descriptor, cloneNewNet) == 0 else { throw .failed("setns(\(path))", code: errno) }
    }

    /// CLONE_NEWNET from <sched.h>.
    private static let cloneNewNet: Int32 = 0x4000_0000

    /// glibc's setns(2) wrapper. Swift's Glibc module hides it (it needs _GNU_SOURCE), and this
    /// target links no C shim, so it is looked up by name.
    private static let setNamespaceFunction: (@convention(c) (Int32, Int32) -> Int32)? = {
        guard let symbol = dlsym(nil, "setns") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
    }()
}
#endif
