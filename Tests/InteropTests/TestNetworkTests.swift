#if os(Linux)
import Testing
import Glibc
import FlexTestHosts

private struct DeliberateFailure: Error {}

/// The inode of a network namespace file (two paths name the same namespace iff inodes match).
private func namespaceInode(_ path: String) -> UInt {
    var info = stat()
    return stat(path, &info) == 0 ? UInt(info.st_ino) : 0
}

@Suite("Test hosts", .enabled(if: runsAsRoot))
struct TestNetworkTests {
    @Test("namespaces and veth ends exist inside the scope, carry short unique names, and are gone after it")
    func createdAndRemoved() throws {
        let (first, second, pair) = try TestNetwork.with { network in
            let first = try network.makeNamespace()
            let second = try network.makeNamespace()
            let pair = try network.makeVethPair(between: first, and: second)
            #expect(TestNetwork.namespaceExists(first.name))
            #expect(try first.run(["ip", "link", "show", "dev", pair.first.name]).succeeded)
            #expect(try second.run(["ip", "link", "show", "dev", pair.second.name]).succeeded)
            #expect(!TestNetwork.rootInterfaceExists(pair.first.name))
            return (first, second, pair)
        }
        let names = [first.name, second.name, pair.first.name, pair.second.name]
        #expect(Set(names).count == 4)
        #expect(names.allSatisfy { $0.count <= 15 && $0.hasPrefix("ftx") })
        #expect(!TestNetwork.namespaceExists(first.name))
        #expect(!TestNetwork.namespaceExists(second.name))
    }

    @Test("a thrown error still removes everything, including interfaces left in the root namespace")
    func removedAfterThrow() throws {
        var namespaceName = ""
        var interfaceName = ""
        #expect(throws: DeliberateFailure.self) {
            try TestNetwork.with { network in
                namespaceName = try network.makeNamespace().name
                interfaceName = network.makeInterfaceName()
                _ = try RunningCommand(["ip", "tuntap", "add", "dev", interfaceName, "mode", "tap"]).wait()
                #expect(TestNetwork.rootInterfaceExists(interfaceName))
                throw DeliberateFailure()
            }
        }
        #expect(!namespaceName.isEmpty && !TestNetwork.namespaceExists(namespaceName))
        #expect(!interfaceName.isEmpty && !TestNetwork.rootInterfaceExists(interfaceName))
    }

    @Test("deinit tears down a network that was never torn down explicitly")
    func deinitBackstop() throws {
        var name = ""
        do {
            let network = TestNetwork()
            name = try network.makeNamespace().name
            #expect(TestNetwork.namespaceExists(name))
        }
        #expect(!TestNetwork.namespaceExists(name))
    }

    @Test("only addresses in 198.18.0.0/15 are accepted",
          arguments: ["10.0.0.1/24", "198.20.0.1/24", "198.17.255.1/24", "198.18.0.1/14", "198.18.0.1", "198.18.0.1/33", "host/24"])
    func refusesOtherAddresses(text: String) {
        #expect(throws: TestHostError.self) { try TestAddress(text) }
    }

    @Test("addresses in 198.18.0.0/15 are accepted", arguments: ["198.18.0.1/24", "198.19.255.254/15", "198.18.7.9/32"])
    func acceptsTestAddresses(text: String) throws {
        #expect(try TestAddress(text).description == text)
    }

    @Test("perform runs Swift code on a thread inside the namespace; the caller's thread stays outside")
    func performEntersNamespace() throws {
        try TestNetwork.with { network in
            let namespace = try network.makeNamespace()
            let target = namespaceInode("/run/netns/\(namespace.name)")
            #expect(target != 0)
            let inside = try namespace.perform { namespaceInode("/proc/thread-self/ns/net") }
            #expect(inside == target)
            #expect(namespaceInode("/proc/thread-self/ns/net") != target)
            #expect(throws: DeliberateFailure.self) { try namespace.perform { throw DeliberateFailure() } }
        }
    }

    @Test("commands report output and status, and are killed at their time limit")
    func commands() throws {
        try TestNetwork.with { network in
            let namespace = try network.makeNamespace()
            let listing = try namespace.run(["sh", "-c", "ip -o link show; echo oops >&2; exit 3"])
            #expect(listing.status == 3)
            #expect(listing.standardOutput.contains("lo:"))
            #expect(listing.standardError == "oops\n")
            let slow = try namespace.run(["sleep", "30"], timeout: .milliseconds(200))
            #expect(slow.timedOut)
            #expect(!slow.succeeded)
            let background = try namespace.start(["sleep", "30"])
            #expect(background.stop().status == 128 + SIGKILL)
        }
    }

    @Test("leftovers of a dead run are recognised and removed")
    func leftoversRemoved() throws {
        let pidMaximum = 4_194_304
        let deadProcess = try #require((1_000_000..<pidMaximum).first { kill(Int32($0), 0) != 0 && errno == ESRCH })
        var digits = String(deadProcess, radix: 36)
        digits = String(repeating: "0", count: 5 - digits.count) + digits
        let leftover = "ftx" + digits + "zz00n00"
        #expect(try RunningCommand(["ip", "netns", "add", leftover]).wait().succeeded)
        TestNetwork.removeLeftovers()
        #expect(!TestNetwork.namespaceExists(leftover))
    }
}
#endif
