/// Fabrics commands: Connect (admin and I/O queues), Property Get and Property Set.
extension TargetConnection {
    func executeFabrics(_ command: SubmissionEntry, data: UnsafeMutableRawBufferPointer?) throws(Termination) {
        switch command.fabricsType {
        case FabricsType.connect:
            connect(command, data: data)
        case FabricsType.propertyGet where controller != nil:
            let size8 = command.bytes[40] & 7 == 1
            guard let value = controller!.property(at: command.field(UInt32.self, at: 44), configuration: target.configuration) else {
                complete(command, status: .invalidField)
                return
            }
            complete(command, status: .success, result: size8 ? value : value & 0xFFFF_FFFF)
        case FabricsType.propertySet where controller != nil:
            let accepted = controller!.setProperty(at: command.field(UInt32.self, at: 44), value: command.field(UInt64.self, at: 48))
            complete(command, status: accepted ? .success : .invalidField)
        case FabricsType.propertyGet, FabricsType.propertySet:
            complete(command, status: .commandSequenceError)
        default:
            complete(command, status: .invalidOpcode)
        }
    }

    /// Connect: the admin queue makes a controller; an I/O queue joins the host's controller.
    private func connect(_ command: SubmissionEntry, data: UnsafeMutableRawBufferPointer?) {
        let queue: UInt16 = command.field(at: 42)
        let entries = Int(command.field(UInt16.self, at: 44)) + 1
        let keepAlive: UInt32 = command.field(at: 48)
        guard controller == nil else {
            complete(command, status: .commandSequenceError)
            return
        }
        guard let data, data.count >= 1024, command.field(UInt16.self, at: 40) == 0 else {
            complete(command, status: .connectInvalidParameters)
            return
        }
        let bytes = Array(data.prefix(1024))
        let requestedController: UInt16 = bytes.loadLittle(at: 16)
        let subsystem = bytes.text(at: 256, width: 256)
        let host = bytes.text(at: 512, width: 256)
        let isDiscovery = subsystem == NQN.discovery
        guard isDiscovery || subsystem == target.configuration.subsystemNQN, !host.isEmpty else {
            complete(command, status: .connectInvalidParameters, result: 1 << 16 | 256)  // IATTR: data, IPO: SUBNQN
            return
        }
        guard entries >= 2, entries <= target.configuration.maximumQueueEntries else {
            complete(command, status: .connectInvalidParameters, result: 44)  // IPO: SQSIZE
            return
        }
        if queue == 0 {
            guard let made = target.makeController(hostNQN: host, isDiscovery: isDiscovery, keepAliveMilliseconds: keepAlive,
                                                   now: clock.now()) else {
                complete(command, status: .connectInvalidParameters)
                return
            }
            controller = made
        } else {
            guard !isDiscovery, let joined = target.controller(requestedController, hostNQN: host) else {
                complete(command, status: .connectInvalidParameters, result: 1 << 16 | 16)  // IATTR: data, IPO: CNTLID
                return
            }
            guard Int(queue) <= joined.grantedIOQueues, joined.isEnabled else {
                complete(command, status: .connectInvalidParameters, result: 42)  // IPO: QID
                return
            }
            controller = joined
        }
        queueID = queue
        queueEntries = entries
        submissionHead = UInt16(1 % entries)
        complete(command, status: .success, result: UInt64(controller!.id))
    }
}
