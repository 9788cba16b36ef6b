#if canImport(Glibc)
import Glibc
import Synchronization

/// Removes the test networks still alive when the process is told to stop (SIGINT, SIGTERM, SIGHUP),
/// then exits with 128 + the signal's number, as the default action would have: a benchmark or tool
/// interrupted by an operator or a timeout leaves no namespace, veth pair or background command.
///
/// Contract: `install()` is idempotent and may be called from any thread; from then on the three
/// signals end the process (after the cleanup) instead of killing it at once. The signal handler
/// only writes the signal's number to a pipe (async-signal-safe); a thread of its own reads it and
/// tears the networks down with the usual `ip` commands.
enum TerminationCleanup {
    /// The registries of the networks alive now, by network.
    private static let live = Mutex<[ObjectIdentifier: TestHostRegistry]>([:])
    private static let installed = Mutex(false)
    /// The pipe's write end, read by the signal handler (set once, before the handler is installed).
    nonisolated(unsafe) private static var signalPipeWriteEnd: Int32 = -1

    static func track(_ network: ObjectIdentifier, registry: TestHostRegistry) { live.withLock { $0[network] = registry } }
    static func forget(_ network: ObjectIdentifier) { _ = live.withLock { $0.removeValue(forKey: network) } }

    static func install() {
        installed.withLock { done in
            guard !done else { return }
            var ends: [Int32] = [0, 0]
            guard pipe(&ends) == 0 else { return }
            signalPipeWriteEnd = ends[1]
            var thread = pthread_t()
            let readEnd = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
            readEnd.initialize(to: ends[0])
            guard pthread_create(&thread, nil, { context in
                let pointer = context!.assumingMemoryBound(to: Int32.self)
                TerminationCleanup.waitForSignal(readEnd: pointer.pointee)
                return nil
            }, readEnd) == 0 else { return }
            pthread_detach(thread)
            for number in [SIGINT, SIGTERM, SIGHUP] {
                signal(number) { number in
                    var byte = UInt8(truncatingIfNeeded: number)
                    _ = write(TerminationCleanup.signalPipeWriteEnd, &byte, 1)
                }
            }
            done = true
        }
    }

    private static func waitForSignal(readEnd: Int32) {
        var byte: UInt8 = 0
        while read(readEnd, &byte, 1) != 1 {}
        for registry in live.withLock({ Array($0.values) }) { registry.removeAll() }
        _exit(128 + Int32(byte))
    }
}
#endif
