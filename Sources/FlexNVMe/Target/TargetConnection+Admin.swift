/// Admin commands: Identify, Get Log Page, Get/Set Features, Keep Alive, Async Event Request, Abort.
extension TargetConnection {
    func executeAdmin(_ command: SubmissionEntry, data: UnsafeMutableRawBufferPointer?) {
        let controller = controller!
        switch command.opcode {
        case AdminOpcode.identify:
            identify(command, controller: controller)
        case AdminOpcode.getLogPage:
            getLogPage(command, controller: controller)
        case AdminOpcode.getFeatures:
            getFeature(command, controller: controller)
        case AdminOpcode.setFeatures:
            setFeature(command, controller: controller)
        case AdminOpcode.keepAlive:
            complete(command, status: .success)
        case AdminOpcode.asyncEventRequest:
            // Held until an event (this target raises none); past the limit refused.
            if !controller.holdAsyncEventRequest() { complete(command, status: .asyncEventLimitExceeded) }
        case AdminOpcode.abort:
            complete(command, status: .success, result: 1)  // bit 0: command not aborted
        default:
            complete(command, status: .invalidOpcode)
        }
    }

    private func identify(_ command: SubmissionEntry, controller: TargetController) {
        let structure = command.dword(10) & 0xFF
        let namespace = command.namespaceID
        switch structure {
        case 0x01:
            completeWithData(command, controllerIdentity(controller).encoded())
        case 0x00 where !controller.isDiscovery:
            guard namespace == 1 else {
                complete(command, status: .invalidNamespace)
                return
            }
            completeWithData(command, target.namespaceIdentity.encoded())
        case 0x02 where !controller.isDiscovery:
            completeWithData(command, activeNamespaceList(after: namespace))
        case 0x03 where !controller.isDiscovery:
            guard namespace == 1 else {
                complete(command, status: .invalidNamespace)
                return
            }
            completeWithData(command, target.namespaceIdentity.descriptors())
        default:
            complete(command, status: .invalidField)
        }
    }

    func controllerIdentity(_ controller: TargetController) -> ControllerIdentity {
        let configuration = target.configuration
        return ControllerIdentity(controllerID: controller.id,
                                  subsystemNQN: controller.isDiscovery ? NQN.discovery : configuration.subsystemNQN,
                                  serialNumber: configuration.serialNumber, isDiscovery: controller.isDiscovery,
                                  namespaceCount: controller.isDiscovery ? 0 : 1, maximumQueueEntries: configuration.maximumQueueEntries,
                                  maximumTransferExponent: configuration.maximumTransferExponent,
                                  inCapsuleDataBytes: configuration.inCapsuleDataBytes,
                                  volatileWriteCache: target.namespace.hasVolatileWriteCache)
    }

    private func getLogPage(_ command: SubmissionEntry, controller: TargetController) {
        let page = UInt8(command.dword(10) & 0xFF)
        let dwords = (Int(command.dword(11) & 0xFFFF) << 16 | Int(command.dword(10) >> 16)) + 1
        let offset = UInt64(command.dword(12)) | UInt64(command.dword(13)) << 32
        let content: [UInt8]
        switch page {
        case LogPageID.discovery where controller.isDiscovery:
            let entry = DiscoveryEntry(subsystemNQN: target.configuration.subsystemNQN, address: localAddress,
                                       serviceID: String(localPort))
            content = DiscoveryLog.encoded([entry], generation: 1)
        case LogPageID.errorInformation: content = [UInt8](repeating: 0, count: 64)
        case LogPageID.health, LogPageID.firmwareSlot: content = [UInt8](repeating: 0, count: 512)
        case LogPageID.changedNamespaces where !controller.isDiscovery, LogPageID.commandEffects where !controller.isDiscovery:
            content = [UInt8](repeating: 0, count: 4096)
        default:
            complete(command, status: .invalidLogPage)
            return
        }
        guard offset % 4 == 0, offset <= UInt64(content.count) else {
            complete(command, status: .invalidField)
            return
        }
        var slice = Array(content[Int(offset)...].prefix(dwords * 4))
        slice += [UInt8](repeating: 0, count: dwords * 4 - slice.count)
        completeWithData(command, slice)
    }

    private func getFeature(_ command: SubmissionEntry, controller: TargetController) {
        switch UInt8(command.dword(10) & 0xFF) {
        case FeatureID.numberOfQueues:
            let granted = UInt64(max(controller.grantedIOQueues, 1) - 1)
            complete(command, status: .success, result: granted | granted << 16)
        case FeatureID.keepAliveTimer:
            complete(command, status: .success, result: UInt64(controller.keepAliveMilliseconds))
        case FeatureID.asyncEventConfiguration:
            complete(command, status: .success, result: UInt64(controller.asyncEventConfiguration))
        case FeatureID.volatileWriteCache:
            complete(command, status: .success, result: target.namespace.hasVolatileWriteCache ? 1 : 0)
        case FeatureID.arbitration, FeatureID.powerManagement, FeatureID.interruptCoalescing:
            complete(command, status: .success)
        default:
            complete(command, status: .invalidField)
        }
    }

    private func setFeature(_ command: SubmissionEntry, controller: TargetController) {
        let value = command.dword(11)
        switch UInt8(command.dword(10) & 0xFF) {
        case FeatureID.numberOfQueues:
            guard value & 0xFFFF != 0xFFFF, value >> 16 != 0xFFFF, !controller.isDiscovery else {
                complete(command, status: .invalidField)
                return
            }
            let wanted = Int(min(value & 0xFFFF, value >> 16)) + 1
            let granted = UInt64(controller.requestQueues(wanted, maximum: target.configuration.maximumIOQueues) - 1)
            complete(command, status: .success, result: granted | granted << 16)
        case FeatureID.keepAliveTimer:
            controller.setKeepAlive(milliseconds: value)
            complete(command, status: .success)
        case FeatureID.asyncEventConfiguration:
            controller.setAsyncEventConfiguration(value)
            complete(command, status: .success)
        case FeatureID.volatileWriteCache:
            complete(command, status: target.namespace.hasVolatileWriteCache ? .success : .featureNotChangeable)
        case FeatureID.arbitration, FeatureID.powerManagement, FeatureID.interruptCoalescing:
            complete(command, status: .success)
        default:
            complete(command, status: .invalidField)
        }
    }
}
