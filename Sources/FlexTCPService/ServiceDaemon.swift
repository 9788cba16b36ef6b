import CFlexShim
import FlexPort
import FlexTCPCore
import FlexWire
import Logging
import Prometheus
#if canImport(Glibc)
import Glibc
#endif

/// flextcpd: one caller-driven `StackRuntime` whose contexts and payload rings live in the
/// applications' memory (`ApplicationMemory`, one memfd slot per application, `ServiceLayout`),
/// served on the calling thread, with applications attaching and leaving through the
/// `ControlChannel`.
///
/// Per application slot: `free` → `attached` (a hello came: the slot gets new zeroed memory, its
/// queue sets are formatted and the runtime's ends restarted, and the memfd and eventfds go to
/// the application) → on hang-up `draining` (its connections reset, its listeners closed, its old
/// memory unmapped and freed at once: the slot gets new memory, whose queues the service drains
/// itself) → `free` once the runtime holds nothing of it any more. The runtime's rounds and idle
/// sleeps look at a slot's contexts from its attach until it is free (`StackRuntime.serve`).
/// Should the new memory not be had at the hang-up, the slot drains its old memory and tries
/// again every `renewalRetry` until it gets it; it is free only then. Each tenant of a slot gets eventfds of its own
/// (`ApplicationSignals`). Other applications carry on throughout: all of this happens between two
/// rounds of the runtime.
///
/// Contract: `run` on one thread (pinned to `plan.cpu` if given), until `shouldStop` says so (checked every round; wake the
/// thread with `wakeDescriptor`, e.g. from a signal handler); it then tells every application
/// (`goodbye`), resets their connections, frees their memory and removes the socket file.
public final class ServiceDaemon {
    public let plan: ServicePlan
    public private(set) var counters = ServiceCounters()
    private let logger: Logger
    private let memory: ApplicationMemory
    private let runtime: StackRuntime
    private let control: ControlChannel
    private let peer: MemoryPeer?
    private let signals: ApplicationSignals
    /// The metrics registry (`ServiceMetrics` fills it, `MetricsEndpoint` serves it).
    public let registry = PrometheusCollectorRegistry()
    private let metrics: ServiceMetrics
    private let metricsEndpoint: MetricsEndpoint?
    private var metricsRecordedAt: UInt64 = 0
    private var slots: [SlotState]
    private let clock = MonotonicTimeSource()
    private let receiveEntries = UnsafeMutableBufferPointer<ReceiveQueueEntry>.allocate(capacity: 64)
    private let eventEntries = UnsafeMutableBufferPointer<SlowPathEvent>.allocate(capacity: 64)

    private enum SlotState {
        case free
        /// `limitHits`: the application's connection-limit hits already logged.
        case attached(socket: Int32, pid: Int32, limitHits: UInt64)
        /// The application left; the service drains its queues (`endpoints`) until the runtime is
        /// done with it. `renewRetryAt`: the slot still has the old tenant's memory (its renewal
        /// failed); the next try is due then.
        case draining(endpoints: [ApplicationContextEndpoint], renewRetryAt: UInt64?)
    }

    /// How long a slot whose memory could not be renewed waits before the next try.
    static let renewalRetry: UInt64 = 100_000_000
    /// How often the stack's counters are copied into the metrics.
    static let metricsInterval: UInt64 = 1_000_000_000

    /// Why the service could not start, in the operator's terms.
    public struct StartError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Sets up memory, the network, the runtime and the attach socket; throws `StartError` saying what failed.
    public init(plan: ServicePlan, logger: Logger) throws(StartError) {
        self.plan = plan
        self.logger = logger
        let layout = plan.layout
        do {
            memory = try ApplicationMemory(layout: layout)
        } catch {
            throw StartError(description: "cannot set up the applications' memory: \(error)")
        }
        let port: any Port
        do {
            switch plan.network {
            case .interface(let name):
                var portConfiguration = AFPacketConfiguration()
                portConfiguration.receiveFrameCount = 4096
                port = try AFPacketPort(interfaceName: name, configuration: portConfiguration)
                peer = nil
            case .memoryPeer(let address):
                let wire = try MemoryWire(capacity: 1024, maximumFrameLength: 1514, trustsPartialChecksums: true)
                port = wire.a
                peer = try MemoryPeer(port: wire.b, address: address, prefixLength: plan.configuration.network.interface.prefixLength,
                                      flowCapacity: plan.configuration.flowCapacity)
            }
        } catch {
            throw StartError(description: "cannot open the network (\(plan.network)): \(error)")
        }
        let contextCount = layout.applicationCount * layout.contextsPerApplication
        do {
            let service = try WakeupSignal()
            let region = try ContextRegion(placing: memory.base, count: contextCount, stride: layout.queueStride,
                                           contextsPerGroup: layout.contextsPerApplication, groupStride: layout.slotLength,
                                           capacities: layout.capacities,
                                           applicationSignals: (0..<contextCount).map { _ throws(WakeupSignalError) in try WakeupSignal() },
                                           service: service, slowPathService: service, formats: true)
            signals = try ApplicationSignals(applications: layout.applicationCount)
            runtime = try StackRuntime(port: port, configuration: plan.configuration, contextCount: contextCount, capacities: layout.capacities,
                                       schedule: .callerDriven,
                                       memory: ServiceMemory(contexts: region, payloadBase: memory.base, payloadSize: layout.totalLength))
            let control = try ControlChannel(path: plan.servicePath, helloTimeoutNanoseconds: plan.helloTimeoutNanoseconds, logger: logger,
                                             runtimeSignal: service)
            let registry = registry
            var endpoint: MetricsEndpoint?
            do {
                endpoint = try plan.metricsAddress.map { address throws(SharedMemoryError) in
                    try MetricsEndpoint(address: address, registry: registry)
                }
                try control.start()
                try endpoint?.start()
            } catch {
                // Neither socket file may outlive a failed start.
                endpoint?.stop()
                control.stop()
                throw error
            }
            self.control = control
            metricsEndpoint = endpoint
        } catch {
            peer?.stop()
            throw StartError(description: "cannot start the runtime or the attach socket at \(plan.servicePath): \(error)")
        }
        slots = Array(repeating: .free, count: layout.applicationCount)
        metrics = ServiceMetrics(factory: PrometheusMetricsFactory(registry: registry), layout: layout,
                                 flowCapacity: plan.configuration.flowCapacity)
        runtime.network.announce()
    }

    deinit {
        receiveEntries.deallocate()
        eventEntries.deallocate()
    }

    /// Wakes `run` from its idle sleep (signal it, e.g. with an eventfd write from a signal handler).
    public var wakeDescriptor: Int32 { runtime.region.service.fileDescriptor }

    /// The ready line: where applications attach.
    public var readyLine: String {
        "flextcpd ready: applications attach at \(plan.servicePath) (address \(plan.address), "
            + "\(plan.applications) applications × \(plan.connectionsPerApplication) connections); "
            + "metrics \(plan.metricsAddress.map { "at \($0)" } ?? "off")"
    }

    /// Serves until `shouldStop()`, then shuts down (see the type's contract).
    public func run(until shouldStop: () -> Bool) {
        if let cpu = plan.cpu {
            if flexshim_pin_current_thread(Int32(cpu)) == 0 {
                logger.info("pinned to CPU \(cpu)")
            } else {
                logger.error("cannot pin to CPU \(cpu): \(String(cString: strerror(errno))); running unpinned")
            }
        }
        var busyAt: UInt64 = 0
        while !shouldStop() {
            for command in control.takeCommands() { handle(command) }
            let now = clock.now()
            var busy = runtime.step(now: now)
            if counters.draining > 0 { busy = drainLeftSlots() || busy }
            logLimitHits()
            if now &- metricsRecordedAt >= Self.metricsInterval { recordMetrics(now: now) }
            if busy { busyAt = now }
            // A while after the last busy round the service still polls: what an application or the
            // peer answers within it costs neither side a wake-up.
            guard !busy, !plan.pollsWhenIdle, now &- busyAt >= plan.idleSpinNanoseconds else { continue }
            let deadline = runtime.nextDeadline
            guard deadline > now else { continue }
            runtime.sleepUntilWork(timeoutNanoseconds: min(deadline &- now, 100_000_000), alsoWakingOn: [signals.wakeSet])
            signals.harvest()
        }
        shutDown()
    }

    /// Copies the stack's and the service's counters into the metrics (the slow side's work).
    private func recordMetrics(now: UInt64) {
        metricsRecordedAt = now
        let pids = slots.map { slot -> Int32? in if case .attached(_, let pid, _) = slot { pid } else { nil } }
        metrics.record(runtime: runtime, service: counters, pids: pids)
    }

    // MARK: Attach and hang-up

    private func handle(_ command: ControlCommand) {
        switch command {
        case .attach(let socket, let pid): attach(socket, pid: pid)
        case .hangUp(let socket):
            guard let application = slots.firstIndex(where: { if case .attached(socket, _, _) = $0 { true } else { false } }) else {
                // A refused application, hung up after its answer.
                close(socket)
                return
            }
            hangUp(application)
            close(socket)
        }
    }

    private func attach(_ socket: Int32, pid: Int32) {
        guard let application = slots.firstIndex(where: { if case .free = $0 { true } else { false } }) else {
            counters.refusedFull &+= 1
            logger.warning("limit hit: attach refused, every application slot is taken", metadata: ["pid": "\(pid)", "applications": "\(slots.count)"])
            refuse(socket, with: .full)
            return
        }
        let contexts = plan.layout.contexts(ofApplication: application)
        do {
            try renewMemory(of: application)
            try signals.renew(application: application, contexts: contexts, in: runtime.region)
        } catch {
            logger.error("attach failed: \(error)", metadata: ["pid": "\(pid)", "application": "\(application)"])
            refuse(socket, with: .failed)
            return
        }
        let region = runtime.region
        let wake = signals.serviceSignals[application].fileDescriptor
        let descriptors = [memory.descriptor(ofApplication: application), wake, wake] + contexts.map { region.signals($0).application.fileDescriptor }
        let reply = AttachReply(application: application, layout: plan.layout, flowCapacity: plan.configuration.flowCapacity,
                                address: plan.configuration.network.interface.address.value)
        guard send(reply, to: socket, descriptors: descriptors) else {
            logger.warning("attach failed: the application went away before its reply", metadata: ["pid": "\(pid)"])
            shutdown(socket, Int32(SHUT_RDWR))
            return
        }
        slots[application] = .attached(socket: socket, pid: pid, limitHits: runtime.connectionLimitHits(contexts: contexts))
        runtime.serve(contexts: contexts)
        counters.attached &+= 1
        counters.attachedNow += 1
        logger.info("attach", metadata: ["pid": "\(pid)", "application": "\(application)", "contexts": "\(contexts)",
                                         "servedContexts": "\(runtime.servedContextCount)"])
    }

    /// Answers `socket` with a refusal and shuts it down, so its hang-up comes back (and the
    /// runtime closes it) even if the process on the other end never hangs up itself.
    private func refuse(_ socket: Int32, with status: AttachProtocol.Status) {
        send(AttachReply(status: status), to: socket, descriptors: [])
        shutdown(socket, Int32(SHUT_RDWR))
    }

    /// The application on slot `application` is gone: reset what it held, free its memory, drain the slot.
    /// `alreadyReset`: what an earlier `resetApplication` of its contexts tore down (at shutdown, so
    /// that the application could read its connections' ends first).
    private func hangUp(_ application: Int, alreadyReset: StackRuntime.ApplicationReset? = nil) {
        guard case .attached(_, let pid, _) = slots[application] else { return }
        let contexts = plan.layout.contexts(ofApplication: application)
        let rejected = runtime.rejectedEntries(contexts: contexts)
        let now = clock.now()
        // The application's connections' last counters, before they go.
        if alreadyReset == nil { recordMetrics(now: now) }
        let reset = alreadyReset ?? runtime.resetApplication(contexts: contexts, now: now)
        let renewed = renewForDraining(application)
        slots[application] = .draining(endpoints: renewed ? drainingEndpoints(of: application) : [],
                                       renewRetryAt: renewed ? nil : now &+ Self.renewalRetry)
        counters.hungUp &+= 1
        counters.attachedNow -= 1
        counters.draining += 1
        counters.flowsReset &+= UInt64(reset.flowsReset)
        counters.listenersClosed &+= UInt64(reset.listenersClosed)
        counters.rejectedEntries &+= rejected
        // A process still alive closed its socket (detached); a gone one exited or crashed.
        let process = Self.isRunning(pid) ? "alive (detached)" : "gone (exited or crashed)"
        logger.notice("detach: hang-up, cleaned up", metadata: [
            "pid": "\(pid)", "process": "\(process)", "application": "\(application)", "flowsReset": "\(reset.flowsReset)",
            "listenersClosed": "\(reset.listenersClosed)", "rejectedEntries": "\(rejected)", "regionFreed": "\(renewed)",
        ])
    }

    /// True while process `pid` exists, is not a zombie and is not exiting (/proc/PID/stat's state
    /// and flags). A killed process's descriptors close while it exits, before it is a zombie, so
    /// its hang-up arrives while the state still reads as running: the kernel's PF_EXITING flag,
    /// set before the descriptors close, tells that case from a live process that closed its socket.
    private static func isRunning(_ pid: Int32) -> Bool {
        guard pid > 0, let file = fopen("/proc/\(pid)/stat", "r") else { return false }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 512)
        guard fgets(&line, Int32(line.count), file) != nil else { return false }
        let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let nameEnd = text.lastIndex(of: ")") else { return false }
        // After the command name: state, ppid, pgrp, session, tty_nr, tpgid, flags, …
        let fields = text[text.index(after: nameEnd)...].split(separator: " ", maxSplits: 7)
        guard fields.count > 6, let state = fields[0].first, let flags = UInt32(fields[6]) else { return false }
        let exiting: UInt32 = 0x4  // PF_EXITING
        return state != "Z" && state != "X" && flags & exiting == 0
    }

    /// Renews the memory of a slot whose application left; false (logged) if it could not.
    private func renewForDraining(_ application: Int) -> Bool {
        do {
            try renewMemory(of: application)
        } catch {
            logger.error("cleanup could not renew the memory; retrying", metadata: [
                "application": "\(application)", "error": "\(error)", "retryInMs": "\(Self.renewalRetry / 1_000_000)",
            ])
            return false
        }
        counters.regionsFreed &+= 1
        return true
    }

    /// The service's ends of the queues of a slot whose memory was renewed (empty if they cannot be had).
    private func drainingEndpoints(of application: Int) -> [ApplicationContextEndpoint] {
        let region = runtime.region
        return (try? plan.layout.contexts(ofApplication: application).map { context throws(ContextQueueError) in
            ApplicationContextEndpoint(queues: try region.queues(context), signals: region.signals(context))
        }) ?? []
    }

    /// New zeroed memory for the slot (the old unmapped; its pages freed once the application has
    /// gone), its queue sets formatted anew and the runtime's ends of them restarted.
    private func renewMemory(of application: Int) throws {
        try memory.renew(application: application)
        try runtime.restartContexts(plan.layout.contexts(ofApplication: application))
    }

    /// Logs each attached application's new connection-limit hits (connections refused because its
    /// ring pool was exhausted), one line per application and round that had any.
    private func logLimitHits() {
        for application in slots.indices {
            guard case .attached(let socket, let pid, let logged) = slots[application] else { continue }
            let hits = runtime.connectionLimitHits(contexts: plan.layout.contexts(ofApplication: application))
            guard hits != logged else { continue }
            slots[application] = .attached(socket: socket, pid: pid, limitHits: hits)
            counters.connectionLimitHits &+= hits &- logged
            logger.warning("limit hit: connections", metadata: [
                "pid": "\(pid)", "application": "\(application)", "refused": "\(hits &- logged)",
                "limit": "\(plan.connectionsPerApplication)",
            ])
        }
    }

    /// Drains the queues of slots whose application left, discarding what the runtime still
    /// posts there; retries the renewal of a slot that still has its old memory (which the runtime
    /// then restarts: what it held for the old queues is dropped); a renewed slot the runtime is
    /// done with becomes free. True if anything was drained.
    private func drainLeftSlots() -> Bool {
        var drained = false
        let now = clock.now()
        for application in slots.indices {
            guard case .draining(var endpoints, let retryAt) = slots[application] else { continue }
            if let retryAt {
                guard now >= retryAt else { continue }
                guard renewForDraining(application) else {
                    slots[application] = .draining(endpoints: [], renewRetryAt: now &+ Self.renewalRetry)
                    continue
                }
                endpoints = drainingEndpoints(of: application)
                slots[application] = .draining(endpoints: endpoints, renewRetryAt: nil)
                logger.notice("cleanup renewed the memory", metadata: ["application": "\(application)"])
            }
            for endpoint in endpoints {
                while endpoint.poll(into: receiveEntries) > 0 { drained = true }
                while endpoint.pollEvents(into: eventEntries) > 0 { drained = true }
            }
            let contexts = plan.layout.contexts(ofApplication: application)
            if runtime.isIdle(contexts: contexts) {
                slots[application] = .free
                runtime.stopServing(contexts: contexts)
                counters.draining -= 1
                logger.info("slot free", metadata: ["application": "\(application)", "servedContexts": "\(runtime.servedContextCount)"])
            }
        }
        return drained
    }

    @discardableResult
    private func send(_ reply: AttachReply, to socket: Int32, descriptors: [Int32]) -> Bool {
        let bytes = reply.encoded
        let sent = bytes.withUnsafeBytes { buffer in
            descriptors.withUnsafeBufferPointer {
                flexshim_send_with_descriptors(socket, buffer.baseAddress, buffer.count, $0.baseAddress, Int32($0.count))
            }
        }
        return sent == bytes.count
    }

    // MARK: Shutdown

    /// Resets every application's connections (RSTs sent, their ends posted to the applications),
    /// tells every application (goodbye), drains, and frees the memory.
    private func shutDown() {
        logger.notice("shutting down", metadata: ["attached": "\(counters.attachedNow)"])
        control.stop()
        var answered: Set<Int32> = []
        for command in control.takeCommands() {
            switch command {
            case .attach(let socket, _):
                send(AttachReply(status: .shuttingDown), to: socket, descriptors: [])
                close(socket)
                answered.insert(socket)
            case .hangUp(let socket) where answered.contains(socket): continue  // closed just above
            case .hangUp: handle(command)
            }
        }
        // Every application's connections are reset first, and the runtime posts their ends (aborted)
        // to the applications' own queues while their memory is still theirs (bounded: 200 ms).
        recordMetrics(now: clock.now())
        var resets: [Int: StackRuntime.ApplicationReset] = [:]
        for application in slots.indices {
            guard case .attached = slots[application] else { continue }
            resets[application] = runtime.resetApplication(contexts: plan.layout.contexts(ofApplication: application), now: clock.now())
        }
        let delivered = clock.now() &+ 200_000_000
        while clock.now() < delivered && !resets.keys.allSatisfy({ runtime.isIdle(contexts: plan.layout.contexts(ofApplication: $0)) }) {
            if !runtime.step(now: clock.now()) { runtime.sleepUntilWork(timeoutNanoseconds: 1_000_000) }
        }
        let goodbye = AttachProtocol.goodbye
        for application in slots.indices {
            guard case .attached(let socket, _, _) = slots[application] else { continue }
            _ = goodbye.withUnsafeBytes { flexshim_send_with_descriptors(socket, $0.baseAddress, $0.count, nil, 0) }
            hangUp(application, alreadyReset: resets[application])
            close(socket)
        }
        // Let the resets go out and the runtime let go of the slots (bounded: 2 s).
        let end = clock.now() &+ 2_000_000_000
        while counters.draining > 0 && clock.now() < end {
            _ = runtime.step(now: clock.now())
            if !drainLeftSlots() { runtime.sleepUntilWork(timeoutNanoseconds: 1_000_000) }
        }
        peer?.stop()
        recordMetrics(now: clock.now())
        metricsEndpoint?.stop()
        logger.notice("stopped", metadata: ["counters": "\(counters)"])
    }
}
