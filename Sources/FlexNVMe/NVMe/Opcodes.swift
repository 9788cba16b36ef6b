/// Admin command opcodes the target serves (NVMe base specification).
public enum AdminOpcode {
    public static let getLogPage: UInt8 = 0x02
    public static let identify: UInt8 = 0x06
    public static let abort: UInt8 = 0x08
    public static let setFeatures: UInt8 = 0x09
    public static let getFeatures: UInt8 = 0x0A
    public static let asyncEventRequest: UInt8 = 0x0C
    public static let keepAlive: UInt8 = 0x18
    /// Fabrics commands (FCTYPE in byte 4).
    public static let fabrics: UInt8 = 0x7F
}

/// Fabrics command types (FCTYPE).
public enum FabricsType {
    public static let propertySet: UInt8 = 0x00
    public static let connect: UInt8 = 0x01
    public static let propertyGet: UInt8 = 0x04
}

/// NVM command set I/O opcodes.
public enum IOOpcode {
    public static let flush: UInt8 = 0x00
    public static let write: UInt8 = 0x01
    public static let read: UInt8 = 0x02
    public static let writeZeroes: UInt8 = 0x08
    public static let datasetManagement: UInt8 = 0x09
}

/// Feature identifiers the target keeps.
public enum FeatureID {
    public static let arbitration: UInt8 = 0x01
    public static let powerManagement: UInt8 = 0x02
    public static let volatileWriteCache: UInt8 = 0x06
    public static let numberOfQueues: UInt8 = 0x07
    public static let interruptCoalescing: UInt8 = 0x08
    public static let asyncEventConfiguration: UInt8 = 0x0B
    public static let keepAliveTimer: UInt8 = 0x0F
}

/// Log page identifiers the target serves.
public enum LogPageID {
    public static let errorInformation: UInt8 = 0x01
    public static let health: UInt8 = 0x02
    public static let firmwareSlot: UInt8 = 0x03
    public static let changedNamespaces: UInt8 = 0x04
    public static let commandEffects: UInt8 = 0x05
    public static let discovery: UInt8 = 0x70
}

/// Controller property offsets (Property Get/Set) and their bits.
public enum ControllerProperty {
    public static let capabilities: UInt32 = 0x00
    public static let version: UInt32 = 0x08
    public static let configuration: UInt32 = 0x14
    public static let status: UInt32 = 0x1C
    /// NVMe 1.4.
    public static let versionValue: UInt32 = 0x0001_0400
}

/// Well-known NQNs.
public enum NQN {
    /// The discovery subsystem's NQN.
    public static let discovery = "nqn.2014-08.org.nvmexpress.discovery"
}
