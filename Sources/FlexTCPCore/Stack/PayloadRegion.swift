import FlexPort

/// The memory holding every connection's receive and transmit rings of one stack, zeroed.
///
/// Contract: owns `configuration.payloadRegionSize` bytes (64-byte aligned) and frees them on
/// deinit — or, made with `init(borrowing:size:)` (service mode: the applications' mapped
/// memory), owns nothing; the fast path built on it (`FastPath(stack:port:payloadRegion:)`) must
/// not outlive it (nor the borrowed memory).
final class PayloadRegion {
    let base: UnsafeMutableRawPointer
    let size: Int
    private let ownsMemory: Bool

    init(size: Int) {
        self.size = size
        base = .allocate(byteCount: size, alignment: 64)
        base.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        ownsMemory = true
    }

    init(borrowing base: UnsafeMutableRawPointer, size: Int) {
        self.base = base
        self.size = size
        ownsMemory = false
    }

    deinit { if ownsMemory { base.deallocate() } }
}

extension FastPath {
    /// The fast path a stack with `configuration` runs on `port`, over `payloadRegion`.
    convenience init(stack configuration: StackConfiguration, port: any Port, payloadRegion: PayloadRegion) {
        var fastPathConfiguration = FastPathConfiguration(localAddress: configuration.network.interface.address, localMAC: port.macAddress,
                                                          flowCapacity: configuration.flowCapacity,
                                                          receiveWindowBudget: configuration.receiveWindowBudget)
        fastPathConfiguration.flowTableKey = configuration.flowTableKey
        self.init(configuration: fastPathConfiguration,
                  port: port, payloadRegion: payloadRegion.base, payloadRegionSize: payloadRegion.size)
    }
}
