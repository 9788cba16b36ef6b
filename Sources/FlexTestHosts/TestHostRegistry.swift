#if canImport(Glibc)
import Glibc
import Synchronization

/// What one `TestNetwork` created and must remove: namespaces, root-namespace interface names,
/// background commands.
///
/// Contract: thread-safe; `removeAll()` removes everything recorded so far, in a safe order
/// (commands first, so no process keeps a namespace alive; then interfaces; then namespaces), and
/// may be called again (it removes only what was recorded since).
final class TestHostRegistry: Sendable {
    private struct Recorded {
        var namespaces: [String] = []
        var interfaces: [String] = []
        var commands: [RunningCommand] = []
    }

    private let recorded = Mutex(Recorded())

    func record(namespace name: String) { recorded.withLock { $0.namespaces.append(name) } }
    func record(interface name: String) { recorded.withLock { $0.interfaces.append(name) } }
    func record(command: RunningCommand) { recorded.withLock { $0.commands.append(command) } }

    /// Removes everything recorded; returns descriptions of what could not be removed.
    @discardableResult
    func removeAll() -> [String] {
        let taken = recorded.withLock { recorded in
            defer { recorded = Recorded() }
            return recorded
        }
        for command in taken.commands { command.stop() }
        var failures: [String] = []
        for interface in taken.interfaces where RootNamespace.hasInterface(interface) {
            if let failure = RootNamespace.ip(["link", "del", interface]) { failures.append(failure) }
        }
        for namespace in taken.namespaces where RootNamespace.hasNamespace(namespace) {
            if let failure = RootNamespace.ip(["netns", "del", namespace]) { failures.append(failure) }
        }
        return failures
    }
}

/// Queries and `ip` commands in the namespace the test process itself runs in.
enum RootNamespace {
    /// Runs `ip arguments...`; returns nil on success, else a description of the failure.
    static func ip(_ arguments: [String]) -> String? {
        do {
            let result = try RunningCommand(["ip"] + arguments).wait(timeout: .seconds(20))
            return result.succeeded ? nil : TestHostError.commandFailed(arguments: ["ip"] + arguments, result: result).description
        } catch {
            return error.description
        }
    }

    /// Runs `ip arguments...` and throws `TestHostError.commandFailed` unless it succeeds.
    static func ipChecked(_ arguments: [String]) throws(TestHostError) {
        let result = try RunningCommand(["ip"] + arguments).wait(timeout: .seconds(20))
        guard result.succeeded else { throw .commandFailed(arguments: ["ip"] + arguments, result: result) }
    }

    static func hasNamespace(_ name: String) -> Bool { access("/run/netns/" + name, F_OK) == 0 }

    static func hasInterface(_ name: String) -> Bool { access("/sys/class/net/" + name, F_OK) == 0 }

    /// Names of the entries of `directory` (empty if it cannot be read).
    static func entries(of directory: String) -> [String] {
        guard let stream = opendir(directory) else { return [] }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.baseAddress!.assumingMemoryBound(to: CChar.self)) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
#endif
