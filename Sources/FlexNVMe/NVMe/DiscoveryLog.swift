/// One entry of the discovery log page: an NVM subsystem reachable over TCP/IPv4.
public struct DiscoveryEntry: Sendable, Equatable {
    public var subsystemNQN: String
    public var address: String
    public var serviceID: String
    public var portID: UInt16 = 1

    public init(subsystemNQN: String, address: String, serviceID: String) {
        self.subsystemNQN = subsystemNQN
        self.address = address
        self.serviceID = serviceID
    }
}

/// The discovery log page (LID 70h): a 1024-byte header and 1024-byte entries.
public enum DiscoveryLog {
    /// The page with `entries` (generation counter `generation`).
    public static func encoded(_ entries: [DiscoveryEntry], generation: UInt64) -> [UInt8] {
        var page = [UInt8](repeating: 0, count: 1024 * (1 + entries.count))
        page.storeLittle(generation, at: 0)
        page.storeLittle(UInt64(entries.count), at: 8)
        for (index, entry) in entries.enumerated() {
            let base = 1024 * (index + 1)
            page[base] = 3  // TRTYPE: TCP
            page[base + 1] = 1  // ADRFAM: IPv4
            page[base + 2] = 2  // SUBTYPE: NVM subsystem
            page[base + 3] = 0x02  // TREQ: secure channel not required
            page.storeLittle(entry.portID, at: base + 4)
            page.storeLittle(UInt16(0xFFFF), at: base + 6)  // CNTLID: dynamic
            page.storeLittle(UInt16(128), at: base + 8)  // ASQSZ
            page.storeText(entry.serviceID, at: base + 32, width: 32, pad: 0x20)
            page.storeText(entry.subsystemNQN, at: base + 256, width: 256)
            page.storeText(entry.address, at: base + 512, width: 256, pad: 0x20)
            page[base + 768] = 0  // TSAS.SECTYPE: none
        }
        return page
    }

    /// The entries of a page (as many as it holds).
    public static func decode(_ page: [UInt8]) -> [DiscoveryEntry] {
        guard page.count >= 1024 else { return [] }
        let records = Int(min(page.loadLittle(UInt64.self, at: 8), UInt64(page.count / 1024 - 1)))
        return (0..<records).map { index in
            let base = 1024 * (index + 1)
            var entry = DiscoveryEntry(subsystemNQN: page.text(at: base + 256, width: 256), address: page.text(at: base + 512, width: 256),
                                       serviceID: page.text(at: base + 32, width: 32))
            entry.portID = page.loadLittle(at: base + 4)
            return entry
        }
    }
}
