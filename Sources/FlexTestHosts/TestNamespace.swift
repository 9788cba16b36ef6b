#if canImport(Glibc)
/// A network namespace made by a `TestNetwork`; removed with it.
///
/// Contract: commands and closures given to it run inside the namespace; everything they start
/// through `start` is stopped at teardown. Only the namespace's own interfaces are visible there.
public struct TestNamespace: Sendable, Hashable {
    public let name: String
    let registry: TestHostRegistry

    public static func == (lhs: TestNamespace, rhs: TestNamespace) -> Bool { lhs.name == rhs.name }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }

    /// Runs `arguments` in the namespace and waits for it (killed at `timeout`). Never throws for
    /// a failing command; throws only if it could not be started.
    public func run(_ arguments: [String], timeout: Duration = .seconds(10)) throws(TestHostError) -> CommandResult {
        try RunningCommand(namespaced(arguments)).wait(timeout: timeout)
    }

    /// Runs `arguments` in the namespace and returns its standard output; throws
    /// `TestHostError.commandFailed` if it exits unsuccessfully or times out.
    @discardableResult
    public func runChecked(_ arguments: [String], timeout: Duration = .seconds(10)) throws(TestHostError) -> String {
        let result = try run(arguments, timeout: timeout)
        guard result.succeeded else { throw .commandFailed(arguments: arguments, result: result) }
        return result.standardOutput
    }

    /// Starts `arguments` in the namespace in the background; stopped at teardown at the latest.
    public func start(_ arguments: [String]) throws(TestHostError) -> RunningCommand {
        let command = try RunningCommand(namespaced(arguments))
        registry.record(command: command)
        return command
    }

    /// Runs `body` on a thread inside the namespace and returns its result. Sockets and devices
    /// `body` opens (an `AFPacketPort`, a `TAPPort`) belong to this namespace. Only the network
    /// namespace changes: files such as /sys/class/net still show the test process's view.
    public func perform<Result>(_ body: () throws -> Result) throws -> Result {
        try NamespaceThread.run(inNamespaceAt: "/run/netns/" + name, body)
    }

    /// Adds `address` to `interface` in this namespace.
    public func assign(_ address: TestAddress, to interface: String) throws(TestHostError) {
        try runChecked(["ip", "address", "add", address.description, "dev", interface])
    }

    /// Sets `interface` in this namespace administratively up.
    public func bringUp(_ interface: String) throws(TestHostError) {
        try runChecked(["ip", "link", "set", interface, "up"])
    }

    private func namespaced(_ arguments: [String]) -> [String] { ["ip", "netns", "exec", name] + arguments }
}
#endif
