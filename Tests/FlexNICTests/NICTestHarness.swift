import FlexNIC
import FlexPort
import FlexWire

/// A NIC port on one end of an in-memory wire; the test sends frames from the other end.
struct NICTestHarness {
    let wire: MemoryWire
    let nic: NICPort
    let program: Pipeline
    let batch = FrameBatch(capacity: 64)

    init(_ program: Program, queueCount: Int, queueCapacity: Int = 256, exceptionCapacity: Int = 256, postsReceiveBuffers: Bool = true) throws {
        wire = try MemoryWire()
        self.program = try Pipeline(program: program, queueCount: queueCount)
        nic = NICPort(wrapping: wire.b, receiveProgram: self.program, queueCount: queueCount, queueCapacity: queueCapacity,
                      exceptionCapacity: exceptionCapacity, postsReceiveBuffers: postsReceiveBuffers)
    }

    /// Sends `frames` from the far end and lets the NIC receive them; returns the frames it passed on.
    func deliver(_ frames: [[UInt8]]) -> [[UInt8]] {
        for frame in frames { precondition(wire.a.transmit(frame), "the wire took the frame") }
        var passed: [[UInt8]] = []
        // The in-memory wire delivers at once: a batch per 64 frames, and one more to see it empty.
        for _ in 0...(frames.count / batch.capacity + 1) {
            _ = nic.receive(into: batch)
            for index in 0..<batch.count { passed.append(Array(batch[index].buffer)) }
            nic.releaseReceived(batch)
        }
        return passed
    }

    /// Everything waiting in queue `index`, oldest first.
    func drain(queue index: Int) -> [(bytes: [UInt8], descriptor: UInt32)] {
        var entries: [(bytes: [UInt8], descriptor: UInt32)] = []
        while let entry = nic.queues[index].dequeueCopy() { entries.append(entry) }
        return entries
    }
}
