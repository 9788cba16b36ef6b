import ArgumentParser
import FlexKVS
import FlexNIC
import FlexPort

/// Server-side cost per request of FlexKVS behind the FlexNIC model (the dissertation's Table 6.3):
/// flow-based steering (the NIC hands frames over as they come; software parses, hashes the key,
/// copies SET values), key-based steering (`KeySteering` without DMA: the relayed hash is used, no
/// hashing) and key-based steering with the custom DMA path (SETs adopted in place from the
/// partition's log). The workload's requests as memcached binary UDP frames, one thread serving every
/// queue; the NIC's own work (the pipeline) is not counted, only FlexKVS's: from taking a queue
/// entry to its reply datagram built.
///
/// Contract: `measure` loads every key (not timed), then sends `requests` requests through the NIC
/// in chunks of `chunk` frames and times the serving of each chunk; returns the median and mean
/// nanoseconds per request over the chunks. Placement segments are renewed between chunks when one
/// has less than `renewalRoom` bytes left (the control plane's work, not timed).
struct KVSSteeringCost {
    enum Variant: String, CaseIterable, ExpressibleByArgument {
        case flowBased = "flow", keyBased = "key", keyBasedDMA = "key-dma"

        var title: String {
            switch self {
            case .flowBased: "flow-based"
            case .keyBased: "key-based"
            case .keyBasedDMA: "key-based + DMA"
            }
        }
    }

    let workload: KVSWorkload
    let requests: Int
    let partitions = 4
    static let chunk = 256
    static let renewalRoom = 64 << 10

    /// Median and mean server nanoseconds per request of `variant`.
    func measure(_ variant: Variant) throws -> (median: Double, mean: Double) {
        let store = KeyValueStore(configuration: StoreConfiguration(memoryLimit: 1024 << 20, partitions: partitions))
        let server = CacheServer(store: store, settings: ServerSettings(tcpPort: 11211))
        let wire = try MemoryWire(capacity: 4 * Self.chunk)
        let placesSets = variant == .keyBasedDMA
        let program = variant == .flowBased ? nil
            : try Pipeline(program: KeySteering.program(queueCount: partitions, placesSets: placesSets), queueCount: partitions)
        let nic = NICPort(wrapping: wire.b, receiveProgram: program, queueCount: program == nil ? 0 : partitions,
                          queueCapacity: 2 * Self.chunk, hostMemory: store.itemMemory)
        let rig = SteeringRig(nic: nic, server: server, placesSets: placesSets)
        for key in 0..<workload.keyCount {
            try MemcachedUDPFrame.set(workload.key(key), value: workload.valueBytes).withUnsafeBytes { rig.serve($0, on: rig.software, hash: nil) }
        }
        var frames: [[UInt8]] = []
        var random: UInt64 = 0x9E37_79B9_7F4A_7C15
        func draw() -> Double {
            random ^= random >> 12
            random ^= random << 25
            random ^= random >> 27
            return Double((random &* 0x2545_F491_4F6C_DD1D) >> 11) / Double(1 << 53)
        }
        for index in 0..<requests {
            let key = workload.key(workload.rank(for: draw()))
            frames.append(draw() < workload.getFraction ? try MemcachedUDPFrame.get(key, requestID: UInt16(truncatingIfNeeded: index))
                                                        : try MemcachedUDPFrame.set(key, value: workload.valueBytes))
        }
        var perChunk: [Double] = []
        var total = 0.0
        var start = 0
        while start < frames.count {
            let end = min(start + Self.chunk, frames.count)
            if let program, placesSets { try renewSegments(of: store, program: program) }
            for frame in frames[start..<end] { _ = wire.a.transmit(frame) }
            var passed: [[UInt8]] = []
            for _ in 0...(Self.chunk / rig.batch.capacity + 1) {
                let count = nic.receive(into: rig.batch)
                for index in 0..<count { passed.append(Array(rig.batch[index].buffer)) }
                nic.releaseReceived(rig.batch)
            }
            let began = MonotonicClock.now()
            rig.serveChunk(passed)
            let nanoseconds = Double(MonotonicClock.now() - began)
            perChunk.append(nanoseconds / Double(end - start))
            total += nanoseconds
            start = end
        }
        guard rig.replyBytes > 0 else { throw KVSBenchmarkError("no replies") }
        perChunk.sort()
        return (perChunk[perChunk.count / 2], total / Double(frames.count))
    }

    /// Gives each partition whose placement segment has less than `renewalRoom` left a fresh one.
    private func renewSegments(of store: KeyValueStore, program: Pipeline) throws {
        for partition in 0..<partitions {
            let head = try program.readRegister(KeySteering.logHead, index: partition)
            let end = try program.readRegister(KeySteering.logEnd, index: partition)
            guard end < head + UInt64(Self.renewalRoom), let segment = store.registerPlacementSegment(partition: partition) else { continue }
            try program.writeRegister(KeySteering.logHead, index: partition, value: UInt64(segment.lowerBound))
            try program.writeRegister(KeySteering.logEnd, index: partition, value: UInt64(segment.upperBound))
        }
    }
}

/// What serves the NIC's output in `KVSSteeringCost`: a FlexKVS server per queue, one for the
/// exception queue and unsteered frames.
private final class SteeringRig {
    let nic: NICPort
    let servers: [KeySteeredServer]
    let software: KeySteeredServer
    let batch = FrameBatch(capacity: 64)
    private(set) var replyBytes = 0

    init(nic: NICPort, server: CacheServer, placesSets: Bool) {
        self.nic = nic
        servers = (0..<max(1, nic.queues.count)).map { _ in KeySteeredServer(server: server, placesSets: placesSets) }
        software = KeySteeredServer(server: server, placesSets: false)
    }

    /// Serves `passed` (frames the NIC handed over unsteered), then every queue entry and exception:
    /// the work `--steering-cost` times and counts (`--instructions` collects only inside this function).
    @inline(never)
    func serveChunk(_ passed: [[UInt8]]) {
        for frame in passed { frame.withUnsafeBytes { serve($0, on: servers[0], hash: nil) } }
        for (index, queue) in nic.queues.enumerated() {
            while let entry = queue.front {
                serve(entry.bytes, on: servers[index], hash: entry.descriptor)
                queue.removeFront()
            }
        }
        while let entry = nic.exceptionQueue.front {
            serve(entry.bytes, on: software, hash: nil)
            nic.exceptionQueue.removeFront()
        }
    }

    /// Answers one frame on `server` (with the relayed `hash` of a steered entry).
    func serve(_ frame: UnsafeRawBufferPointer, on server: KeySteeredServer, hash: UInt32?) {
        guard let datagram = KeySteeredServer.udpPayload(ofFrame: frame) else { return }
        server.answer(datagram, relayedHash: hash) { replyBytes &+= $0.count }
    }
}
