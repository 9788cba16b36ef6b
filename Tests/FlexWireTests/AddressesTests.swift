import FlexWire
import Testing

@Suite("MAC and IPv4 addresses")
struct AddressesTests {
    @Test("MAC text round-trips; anything but six two-digit hex parts is refused")
    func macText() {
        #expect(MACAddress("02:00:00:00:00:0A") == Sample.macA)
        #expect(Sample.macA.description == "02:00:00:00:00:0a")
        for bad in ["", "02:00:00:00:00", "02:00:00:00:00:0a:01", "2:00:00:00:00:0a", "+2:00:00:00:00:0a",
                    "-0:00:00:00:00:0a", "02:00:00:00:00:0g", "02-00-00-00-00-0a"] {
            #expect(MACAddress(bad) == nil, "\(bad)")
        }
    }

    @Test("IPv4 text round-trips; signs, empty parts and out-of-range values are refused")
    func ipv4Text() {
        #expect(IPv4Address("198.18.0.1") == Sample.ipA && Sample.ipA.value == 0xc612_0001)
        #expect(Sample.ipB.description == "198.18.0.2")
        for bad in ["", "198.18.0", "198.18.0.1.5", "198.18..1", "198.18.0.256", "+1.2.3.4", "1.2.3.-0", "1.2.3.4 ", "１.2.3.4"] {
            #expect(IPv4Address(bad) == nil, "\(bad)")
        }
    }

    @Test("load and store use network byte order")
    func byteOrder() {
        var bytes = [UInt8](repeating: 0, count: 10)
        bytes.withUnsafeMutableBytes { buffer in
            Sample.ipA.store(to: buffer.baseAddress!)
            Sample.macB.store(to: buffer.baseAddress! + 4)
        }
        #expect(bytes == [198, 18, 0, 1, 2, 0, 0, 0, 0, 0x0b])
        bytes.withUnsafeBytes { buffer in
            #expect(IPv4Address(loadingFrom: buffer.baseAddress!) == Sample.ipA)
            #expect(MACAddress(loadingFrom: buffer.baseAddress! + 4) == Sample.macB)
        }
    }

    @Test("subnet membership by prefix length")
    func subnets() {
        #expect(Sample.ipA.isInSameSubnet(as: Sample.ipB, prefixLength: 24))
        #expect(!Sample.ipA.isInSameSubnet(as: IPv4Address(198, 19, 0, 1), prefixLength: 16))
        #expect(Sample.ipA.isInSameSubnet(as: IPv4Address(198, 19, 0, 1), prefixLength: 15))
        #expect(Sample.ipA.isInSameSubnet(as: IPv4Address(1, 2, 3, 4), prefixLength: 0))
        #expect(!Sample.ipA.isInSameSubnet(as: Sample.ipB, prefixLength: 32))
    }
}
