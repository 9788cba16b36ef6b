import FlexPort
import FlexTestSupport
import FlexWire
import Testing
@testable import FlexTCPCore

@Suite("Flow-table key")
struct FlowTableKeyTests {
    @Test("A stack's flow table hashes with the configuration's key; without one each stack draws its own")
    func configuredKey() throws {
        let wire = try TestWire()
        var configuration = StackConfiguration(interface: try InterfaceAddress(TestWire.interfaceA))
        configuration.flowCapacity = 8
        let key = FlowKeyHasher(key0: 0x0123_4567_89AB_CDEF, key1: 0x0FED_CBA9_8765_4321)
        configuration.flowTableKey = key
        let fixed = try Stack(port: wire.portA, configuration: configuration)
        let fixedKey = (fixed.fastPath.flowTable.hasher.key0, fixed.fastPath.flowTable.hasher.key1)
        #expect(fixedKey == (key.key0, key.key1))

        configuration.flowTableKey = nil
        let first = try Stack(port: wire.portA, configuration: configuration)
        let second = try Stack(port: wire.portB, configuration: configuration)
        #expect(first.fastPath.flowTable.hasher.key0 != second.fastPath.flowTable.hasher.key0)
        #expect(first.fastPath.flowTable.hasher.key0 != key.key0)
    }
}
