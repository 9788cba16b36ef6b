@testable import FlexTCP
import FlexPort
import Testing

/// Caller-driven stacks and their virtual clock, stepped on this thread.
private struct SteppedStacks {
    let clock = VirtualTimeSource(start: 1_000_000_000)
    var stacks: [FlexTCPStack] = []

    /// Steps the stacks, then polls `contexts`, 100 µs of virtual time per round, until `done` or
    /// 100,000 rounds; returns whether `done` held.
    func pollUntil(_ contexts: [Context], _ done: () -> Bool, _ handle: (Context, ContextEvent) -> Void) -> Bool {
        for _ in 0..<100_000 where !done() {
            clock.advance(by: 100_000)
            for stack in stacks { _ = stack.step(now: clock.now()) }
            for context in contexts { context.poll { handle(context, $0) } }
        }
        return done()
    }
}

@Suite("Low-level contexts from a stack's scope")
struct LowLevelScopeTests {
    @Test("Operations on a connection another context holds are ignored: nothing freed, reserved, sent or closed (stepped stacks)")
    func foreignHandles() throws {
        let wire = try InMemoryWire()
        try FlexTCPStack.withStack(on: wire.second, configuration: .testing(TestAddresses.server).callerDriven) { serverStack in
            try FlexTCPStack.withStack(on: wire.first, configuration: .testing(TestAddresses.client, contextCount: 2).callerDriven) { clientStack in
                let stepped = SteppedStacks(stacks: [serverStack, clientStack])
                let server = try serverStack.makeContext()
                let owner = try clientStack.makeContext()
                let stranger = try clientStack.makeContext()
                let listener = server.listen(on: 7)
                var connection: Connection?
                var accepted: Connection?
                #expect(stepped.pollUntil([server, owner], { connection?.isOpen == true && accepted != nil }) { context, event in
                    switch event {
                    case .listening: _ = server.accept(on: listener); connection = owner.connect(to: serverStack.address, port: 7)
                    case .accepted(let opened): accepted = opened
                    default: break
                    }
                })
                let open = try #require(connection)
                // The server sends 3 bytes: the owner sees them; the stranger can neither free nor send on the connection.
                let served = try #require(accepted)
                let space = server.reserveSendSpace(3, on: served)
                server.sendReserved(space.copyBytes(from: [7, 8, 9] as [UInt8]), on: served)
                #expect(stepped.pollUntil([server, owner], { open.unfreedByteCount == 3 }) { _, _ in })

                #expect(stranger.freeReceivedBytes(3, of: open) == 0)
                #expect(stranger.reserveSendSpace(100, on: open).isEmpty)
                #expect(stranger.sendReserved(100, on: open) == 0)
                stranger.close(open)
                #expect(!open.isClosing && open.unfreedByteCount == 3 && open.unacknowledgedByteCount == 0)
                #expect(stranger.poll { _ in } == 0 && stranger.rejectedEntries == 0, "nothing reached the stack")
                #expect(Array(open.unfreedBytes) == [7, 8, 9])
                #expect(owner.freeReceivedBytes(3, of: open) == 3)
            }
        }
    }
}
