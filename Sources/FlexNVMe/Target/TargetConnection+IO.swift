/// NVM command set I/O: Read, Write (in-capsule or by R2T/H2CData), Flush, Write Zeroes, Dataset
/// Management (deallocate).
extension TargetConnection {
    func executeIO(_ command: SubmissionEntry, transfer: Transfer?) throws(Termination) {
        guard command.namespaceID == 1 || command.opcode == IOOpcode.flush && command.namespaceID == 0xFFFF_FFFF else {
            complete(command, status: .invalidNamespace)
            return
        }
        switch command.opcode {
        case IOOpcode.read:
            read(command)
        case IOOpcode.write, IOOpcode.datasetManagement:
            if let transfer {
                finishWrite(transfer)
            } else {
                try requestData(command)
            }
        case IOOpcode.flush:
            complete(command, status: storageStatus { () throws(NamespaceError) in try target.namespace.flush() })
        case IOOpcode.writeZeroes:
            if let failure = validateBlocks(command, dataLength: nil) {
                complete(command, status: failure)
                return
            }
            let range = blockRange(command)
            complete(command, status: storageStatus { () throws(NamespaceError) in
                try target.namespace.zero(range)
                try target.namespace.makeDurable(range)
            })
        default:
            complete(command, status: .invalidOpcode)
        }
    }

    /// The command's namespace byte range (SLBA, NLB).
    func blockRange(_ command: SubmissionEntry) -> Range<Int> {
        let size = target.namespace.blockSize
        let start = Int(command.startingLBA) * size
        return start..<(start + command.blockCount * size)
    }

    /// Why a block command cannot run (LBA range, transfer size, SGL length), or nil.
    func validateBlocks(_ command: SubmissionEntry, dataLength: Int?) -> NVMeStatus? {
        let namespace = target.namespace
        let blocks = UInt64(command.blockCount)
        guard command.startingLBA < namespace.blockCount, blocks <= namespace.blockCount - command.startingLBA else { return .lbaOutOfRange }
        guard let dataLength else { return nil }
        let bytes = command.blockCount * namespace.blockSize
        guard bytes <= target.configuration.maximumTransferBytes else { return .invalidField }
        return dataLength == bytes ? nil : .sglLengthInvalid
    }

    /// Runs a storage operation; its error becomes an internal-error status.
    func storageStatus(_ operation: () throws(NamespaceError) -> Void) -> NVMeStatus {
        do throws(NamespaceError) {
            try operation()
            return .success
        } catch {
            return .internalError
        }
    }

    private func read(_ command: SubmissionEntry) {
        guard command.sglType == SubmissionEntry.sglTransport else {
            complete(command, status: .sglDataBlockInvalid)
            return
        }
        if let failure = validateBlocks(command, dataLength: Int(command.sglLength)) {
            complete(command, status: failure)
            return
        }
        let range = blockRange(command)
        var failed = false
        writer.append(.c2hData(DataTransferHeader(commandID: command.commandID, offset: 0, length: UInt32(range.count))),
                      flags: PDUFlags.lastPDU, dataLength: range.count, to: outbound) { destination, offset in
            do throws(NamespaceError) {
                let start = range.lowerBound + offset
                try target.namespace.read(start..<(start + destination.count), into: destination)
            } catch {
                destination.initializeMemory(as: UInt8.self, repeating: 0)  // nothing stale goes out
                failed = true
            }
        }
        complete(command, status: failed ? .internalError : .success)
    }

    /// A Write or Dataset Management whose data the host sends after our R2T.
    private func requestData(_ command: SubmissionEntry) throws(Termination) {
        guard command.sglType == SubmissionEntry.sglTransport else {
            complete(command, status: .sglDataBlockInvalid)
            return
        }
        let length = Int(command.sglLength)
        var transfer = Transfer(command: command, length: length)
        if command.opcode == IOOpcode.write {
            if let failure = validateBlocks(command, dataLength: length) {
                complete(command, status: failure)
                return
            }
        } else {
            guard length > 0, length <= 4096 else {
                complete(command, status: .sglLengthInvalid)
                return
            }
            transfer.staging = .allocate(byteCount: length, alignment: 8)
        }
        var tag = nextTransferTag
        while transfers[tag] != nil { tag &+= 1 }
        nextTransferTag = tag &+ 1
        transfers[tag] = transfer
        writer.append(.r2t(DataTransferHeader(commandID: command.commandID, transferTag: tag, offset: 0, length: UInt32(length))),
                      to: outbound)
    }

    /// An H2CData header: checks tag, command, offset and length against the R2T, and places the data.
    func beginH2CData(_ data: DataTransferHeader, flags: UInt8, dataLength: Int) throws(Termination) -> DataPlacement {
        guard var transfer = transfers[data.transferTag] else { throw Termination(.invalidHeaderField, field: 10, .unknownTransferTag) }
        guard transfer.command.commandID == data.commandID else { throw Termination(.invalidHeaderField, field: 8, .unknownCommandID) }
        guard Int(data.length) == dataLength, dataLength > 0 else { throw Termination(.invalidHeaderField, field: 16, .totalLengthInvalid) }
        guard dataLength <= h2cDataLimit else { throw Termination(.dataLimitExceeded, .dataLimitExceeded) }
        guard Int(data.offset) == transfer.received else { throw Termination(.pduSequenceError, field: 12, .dataOffsetOutOfOrder) }
        let end = Int(data.offset) + dataLength
        guard end <= transfer.length else { throw Termination(.dataOutOfRange, .dataOutOfRange) }
        guard (flags & PDUFlags.lastPDU != 0) == (end == transfer.length) else { throw Termination(.invalidHeaderField, field: 1, .reservedFlags) }
        if transfer.staging == nil && transfer.namespaceOffset == nil { _ = placeWrite(&transfer) }
        transfers[data.transferTag] = transfer
        let piece = Int(data.offset)..<end
        if let offset = transfer.namespaceOffset, let memory = target.namespace.mappedBytes((offset + piece.lowerBound)..<(offset + piece.upperBound)) {
            return .verifiedFirst(memory)
        }
        return .verifiedFirst(UnsafeMutableRawBufferPointer(rebasing: transfer.staging![piece]))
    }

    /// An H2CData PDU completed: after the last, the command completes.
    func finishH2CData(_ data: DataTransferHeader, dataIntact: Bool) throws(Termination) {
        guard var transfer = transfers[data.transferTag] else { return }
        transfer.received += Int(data.length)
        if !dataIntact {
            transfer.intact = false
            counters.dataDigestErrors += 1
        }
        guard transfer.received == transfer.length else {
            transfers[data.transferTag] = transfer
            return
        }
        transfers[data.transferTag] = nil
        defer { releaseStaging(transfer) }
        guard transfer.intact else {
            complete(transfer.command, status: .transientTransportError)
            return
        }
        finishWrite(transfer)
    }

    /// All of a Write's (or DSM's) data is here and intact: stores it, makes it durable, completes.
    func finishWrite(_ transfer: Transfer) {
        let command = transfer.command
        if command.opcode == IOOpcode.datasetManagement {
            complete(command, status: deallocate(command, ranges: transfer.staging))
            return
        }
        let range = blockRange(command)
        let status = storageStatus { () throws(NamespaceError) in
            if let staging = transfer.staging { try target.namespace.write(UnsafeRawBufferPointer(staging), at: range.lowerBound) }
            try target.namespace.makeDurable(range)
        }
        if status.isSuccess { target.countWriteCompleted() }
        complete(command, status: status)
    }

    /// Dataset Management: deallocates (zeroes) each range when AD is set; other attributes are hints.
    private func deallocate(_ command: SubmissionEntry, ranges: UnsafeMutableRawBufferPointer?) -> NVMeStatus {
        let count = Int(command.dword(10) & 0xFF) + 1
        guard let ranges, ranges.count >= count * 16 else { return .sglLengthInvalid }
        guard command.dword(11) & 0x4 != 0 else { return .success }
        let namespace = target.namespace
        for index in 0..<count {
            let blocks = UInt64(ranges.loadLittle(UInt32.self, at: index * 16 + 4))
            let start: UInt64 = ranges.loadLittle(at: index * 16 + 8)
            guard start < namespace.blockCount, blocks <= namespace.blockCount - start else { return .lbaOutOfRange }
            let range = Int(start) * namespace.blockSize..<Int(start + blocks) * namespace.blockSize
            let status = storageStatus { () throws(NamespaceError) in
                try namespace.zero(range)
                try namespace.makeDurable(range)
            }
            guard status.isSuccess else { return status }
        }
        return .success
    }
}
