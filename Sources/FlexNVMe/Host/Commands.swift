/// Builders of the submission entries the host sends.
public enum Command {
    /// Fabrics Connect for queue `queueID` with `entries` entries (controller 0xFFFF: a new one).
    public static func connect(queueID: UInt16, entries: Int, keepAliveMilliseconds: UInt32) -> SubmissionEntry {
        var command = fabrics(FabricsType.connect)
        command.setField(queueID, at: 42)
        command.setField(UInt16(entries - 1), at: 44)
        command.setField(keepAliveMilliseconds, at: 48)
        return command
    }

    /// The 1024-byte Connect data: host identifier, controller ID, subsystem and host NQNs.
    public static func connectData(controllerID: UInt16, subsystemNQN: String, hostNQN: String) -> [UInt8] {
        var data = [UInt8](repeating: 0, count: 1024)
        for (index, byte) in hostNQN.utf8.enumerated() { data[index % 16] = data[index % 16] &* 31 &+ byte }
        data.storeLittle(controllerID, at: 16)
        data.storeText(subsystemNQN, at: 256, width: 256)
        data.storeText(hostNQN, at: 512, width: 256)
        return data
    }

    /// Property Get of the 4-byte (or, `wide`, 8-byte) property at `offset`.
    public static func propertyGet(_ offset: UInt32, wide: Bool = false) -> SubmissionEntry {
        var command = fabrics(FabricsType.propertyGet)
        command.bytes[40] = wide ? 1 : 0
        command.setField(offset, at: 44)
        return command
    }

    /// Property Set of the 4-byte property at `offset`.
    public static func propertySet(_ offset: UInt32, value: UInt64) -> SubmissionEntry {
        var command = fabrics(FabricsType.propertySet)
        command.setField(offset, at: 44)
        command.setField(value, at: 48)
        return command
    }

    /// Identify with CNS `structure` for namespace `namespaceID`.
    public static func identify(_ structure: UInt8, namespaceID: UInt32 = 0) -> SubmissionEntry {
        var command = SubmissionEntry()
        command.opcode = AdminOpcode.identify
        command.namespaceID = namespaceID
        command.setDword(10, UInt32(structure))
        return command
    }

    /// Set Features `feature` to `value` (CDW11).
    public static func setFeature(_ feature: UInt8, value: UInt32) -> SubmissionEntry {
        var command = SubmissionEntry()
        command.opcode = AdminOpcode.setFeatures
        command.setDword(10, UInt32(feature))
        command.setDword(11, value)
        return command
    }

    /// Get Log Page `page`, `byteCount` bytes (a multiple of 4) from `offset`.
    public static func getLogPage(_ page: UInt8, byteCount: Int, offset: UInt64 = 0) -> SubmissionEntry {
        var command = SubmissionEntry()
        command.opcode = AdminOpcode.getLogPage
        let dwords = UInt32(byteCount / 4 - 1)
        command.setDword(10, UInt32(page) | (dwords & 0xFFFF) << 16)
        command.setDword(11, dwords >> 16)
        command.setDword(12, UInt32(truncatingIfNeeded: offset))
        command.setDword(13, UInt32(truncatingIfNeeded: offset >> 32))
        return command
    }

    /// An admin command with no parameters (Keep Alive, Async Event Request).
    public static func admin(_ opcode: UInt8) -> SubmissionEntry {
        var command = SubmissionEntry()
        command.opcode = opcode
        return command
    }

    /// Read, Write or Write Zeroes of `blocks` blocks at `lba` of namespace 1.
    public static func blocks(_ opcode: UInt8, lba: UInt64, blocks: Int) -> SubmissionEntry {
        var command = SubmissionEntry()
        command.opcode = opcode
        command.namespaceID = 1
        command.startingLBA = lba
        command.setDword(12, UInt32(blocks - 1))
        return command
    }

    private static func fabrics(_ type: UInt8) -> SubmissionEntry {
        var command = SubmissionEntry()
        command.opcode = AdminOpcode.fabrics
        command.bytes[4] = type
        return command
    }
}
