import FlexTCPCore
import Foundation
import Testing

/// flextcpd under connections that misbehave and under resource exhaustion: bounded, never
/// spinning, never stuck, and no wake-up shared between applications or tenants of a slot.
@Suite("flextcpd's attach socket and slots under stress", .serialized)
struct ServiceHardeningTests {
    @Test("Silent connections wait at most the hello deadline, at most 16 at once; a real application still attaches")
    func silentConnections() throws {
        let service = try TestService(extraArguments: ["--hello-timeout-milliseconds", "300"])
        let probe = ProcessProbe(pid: service.daemon.process.processIdentifier)
        let socketsBefore = probe.openSockets
        let silent = try (0..<24).map { _ in try AttachClient(path: service.socketPath) }
        usleep(150_000)
        #expect(probe.openSockets - socketsBefore <= 16, "pending attaches are bounded: \(probe.openSockets - socketsBefore) accepted")
        // The first 16 are closed after 300 ms, the rest accepted then and closed 300 ms later.
        for (index, client) in silent.enumerated() {
            #expect(client.messagesUntilHangUp(seconds: 5) == [], "silent connection \(index) closed by the service")
        }
        #expect(service.logLines(containing: "no hello in time").count == 24)
        let application = try service.send(bytes: 200_000, connections: 1, seed: 4)
        #expect(application.waitForExit(seconds: 30) == 0, "\(application.errorOutput)")
        #expect(service.terminate() == 0)
    }

    @Test("Out of descriptors, accept backs off with a logged error instead of spinning; attaches work again once descriptors are free")
    func outOfDescriptors() throws {
        let service = try TestService()
        let probe = ProcessProbe(pid: service.daemon.process.processIdentifier)
        try #require(probe.limitDescriptors(to: probe.lowestFreeDescriptor))
        let waiting = try (0..<4).map { _ in try AttachClient(path: service.socketPath) }
        #expect(service.daemon.waitUntil(seconds: 5) { !service.logLines(containing: "cannot accept an attach").isEmpty })
        let before = probe.cpuTicks
        usleep(1_000_000)
        let used = probe.cpuTicks - before
        #expect(used < 30, "the service must not spin on the failing accept: \(used) ticks of CPU in 1 s")
        #expect(probe.limitDescriptors(to: 4096))
        for client in waiting { client.hangUp() }
        let application = try service.send(bytes: 200_000, connections: 1, seed: 5)
        #expect(application.waitForExit(seconds: 30) == 0, "\(application.errorOutput)")
        #expect(service.terminate() == 0)
    }

    @Test("A slot whose memory cannot be renewed at the hang-up is retried and freed, not left draining")
    func renewalRetried() throws {
        let service = try TestService(extraArguments: ["--applications", "1"])
        let doomed = try service.send(bytes: 400_000_000, connections: 1, seed: 6)
        #expect(service.daemon.waitUntil(seconds: 20) { !service.logLines(containing: "attach").isEmpty })
        let probe = ProcessProbe(pid: service.daemon.process.processIdentifier)
        // No descriptor left: the new memfd for the slot cannot be made at the hang-up.
        try #require(probe.limitDescriptors(to: probe.lowestFreeDescriptor))
        kill(doomed.process.processIdentifier, SIGKILL)
        doomed.waitForExit(seconds: 10)
        #expect(service.daemon.waitUntil(seconds: 10) { !service.logLines(containing: "could not renew the memory").isEmpty })
        #expect(probe.limitDescriptors(to: 4096))
        #expect(service.daemon.waitUntil(seconds: 10) { !service.logLines(containing: "slot free").isEmpty }, "\(service.daemon.errorOutput)")
        let next = try service.send(bytes: 200_000, connections: 1, seed: 8)
        #expect(next.waitForExit(seconds: 30) == 0, "the slot serves again: \(next.errorOutput)")
        #expect(service.terminate() == 0)
        let counters = service.logLines(containing: "counters=").last.map(String.init) ?? ""
        #expect(counters.contains("regionsFreed=2"), "\(counters)")
    }

    @Test("Applications and successive tenants of a slot never share an eventfd")
    func eventfdsPerTenant() throws {
        let service = try TestService(extraArguments: ["--applications", "2", "--contexts-per-application", "2"])
        let first = try AttachClient(path: service.socketPath)
        let second = try AttachClient(path: service.socketPath)
        #expect(try first.attach().application == 0)
        #expect(try second.attach().application == 1)
        let firstService = try #require(first.serviceSignalIdentity)
        let secondService = try #require(second.serviceSignalIdentity)
        #expect(firstService != secondService, "each application wakes the service on its own eventfd")
        #expect(first.applicationSignalIdentities.count == 2 && second.applicationSignalIdentities.count == 2)
        #expect(Set(first.applicationSignalIdentities).isDisjoint(with: second.applicationSignalIdentities))

        // The first hangs up but keeps its descriptors; the slot's next tenant gets new eventfds.
        first.hangUp()
        #expect(service.daemon.waitUntil(seconds: 10) { service.logLines(containing: "slot free").contains { $0.contains("application=0") } })
        #expect(service.logLines(containing: "detach").first?.contains("process=alive (detached)") == true, "a live process that hung up detached")
        let third = try AttachClient(path: service.socketPath)
        #expect(try third.attach().application == 0)
        let old = Set(first.applicationSignalIdentities + [firstService])
        #expect(third.serviceSignalIdentity.map { !old.contains($0) } == true, "not the old tenant's service eventfd")
        #expect(old.isDisjoint(with: third.applicationSignalIdentities), "not the old tenant's application eventfds")
        #expect(service.terminate() == 0)
        #expect(third.messagesUntilHangUp(seconds: 5) == [AttachProtocol.goodbye], "told of the shutdown, then hung up on")
    }
}
