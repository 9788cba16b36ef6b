#if canImport(Glibc)
import Glibc
import Synchronization

/// The naming scheme of everything FlexTestHosts creates (namespaces, veth ends, TAP devices):
/// `ftx` + process id (5 base-36 digits) + run id (2) + network number (2) + kind letter + index (2),
/// exactly 15 characters, so every name fits IFNAMSIZ.
///
/// Contract: two live processes never produce the same name (process ids differ); a process never
/// repeats a name unless it makes more than 1296 networks or 1296 objects in one network; names of
/// dead runs are recognisable from the prefix and the process id inside them.
enum TestHostNames {
    static let prefix = "ftx"
    static let length = 15

    /// This process's tag: prefix, process id and a random run id.
    static let processTag: String = processPrefix(of: getpid()) + base36(Int.random(in: 0..<1296), width: 2)

    /// The start of every name the process `processID` makes: prefix and process id.
    static func processPrefix(of processID: pid_t) -> String { prefix + base36(Int(processID), width: 5) }

    private static let networkCounter = Mutex(0)

    /// A fresh 12-character tag for one `TestNetwork`.
    static func makeNetworkTag() -> String {
        let number = networkCounter.withLock { counter in
            defer { counter = (counter + 1) % 1296 }
            return counter
        }
        return processTag + base36(number, width: 2)
    }

    /// The name of the `index`th object of `kind` ("n" namespace, "v" veth end, "i" other interface).
    static func name(networkTag: String, kind: Character, index: Int) -> String {
        networkTag + String(kind) + base36(index % 1296, width: 2)
    }

    /// True for a name this scheme made in a run that is over: its process is gone, or it is this
    /// process's id with another run id (a recycled process id).
    static func belongsToDeadRun(_ name: String) -> Bool {
        guard name.count == length, name.hasPrefix(prefix), !name.hasPrefix(processTag) else { return false }
        let digits = name.dropFirst(prefix.count).prefix(5)
        guard let processID = Int32(digits, radix: 36) else { return false }
        if processID == getpid() { return true }
        return kill(processID, 0) != 0 && errno == ESRCH
    }

    private static func base36(_ value: Int, width: Int) -> String {
        let digits = String(value, radix: 36)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
#endif
