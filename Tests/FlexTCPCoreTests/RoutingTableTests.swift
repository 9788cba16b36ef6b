import FlexTCPCore
import FlexWire
import Testing

private func configurationError(_ body: () throws(NetworkConfigurationError) -> Void) -> NetworkConfigurationError? {
    do {
        try body()
        return nil
    } catch {
        return error
    }
}

private func routingError(_ table: RoutingTable, _ destination: IPv4Address) -> NetworkError? {
    do {
        _ = try table.nextHop(for: destination)
        return nil
    } catch {
        return error
    }
}

@Suite struct InterfaceAddressTests {
    @Test func parsesAddressAndSubnet() throws {
        let interface = try InterfaceAddress("198.18.0.1/24")
        #expect(interface.address == IPv4Address(198, 18, 0, 1))
        #expect(interface.prefixLength == 24)
        #expect(interface.subnetMask == 0xFFFF_FF00)
        #expect(interface.networkAddress == IPv4Address(198, 18, 0, 0))
        #expect(interface.directedBroadcast == IPv4Address(198, 18, 0, 255))
        #expect(interface.contains(IPv4Address(198, 18, 0, 200)))
        #expect(!interface.contains(IPv4Address(198, 18, 1, 1)))
        #expect(interface.description == "198.18.0.1/24")
    }

    @Test("malformed text", arguments: ["198.18.0.1", "198.18.0.1/", "198.18.0.1/33", "198.18.0.1/0", "198.18.0/24",
                                        "198.18.0.1/24/1", "198.18.0.1/+4", "198.18.0.1/024", "host/24", ""])
    func rejectsMalformedText(_ text: String) {
        #expect(configurationError { () throws(NetworkConfigurationError) in _ = try InterfaceAddress(text) } == .malformedInterfaceAddress(text))
    }

    @Test("addresses that are not a unicast host of their subnet",
          arguments: ["198.18.0.0/24", "198.18.0.255/24", "0.0.0.0/8", "127.0.0.1/8", "224.0.0.1/4", "255.255.255.255/32"])
    func rejectsUnusableAddresses(_ text: String) {
        let error = configurationError { () throws(NetworkConfigurationError) in _ = try InterfaceAddress(text) }
        guard case .unusableInterfaceAddress? = error else {
            Issue.record("\(text): \(String(describing: error))")
            return
        }
    }

    @Test func pointToPointAndHostRoutesHaveNoBroadcast() throws {
        let pointToPoint = try InterfaceAddress("198.18.0.0/31")
        #expect(pointToPoint.directedBroadcast == nil)
        #expect(pointToPoint.isUnicast(IPv4Address(198, 18, 0, 1)))
        let single = try InterfaceAddress("198.18.0.7/32")
        #expect(single.directedBroadcast == nil)
        #expect(!single.contains(IPv4Address(198, 18, 0, 8)))
    }
}

@Suite struct RoutingTableTests {
    let interface = try! InterfaceAddress("198.18.0.1/24")

    @Test func subnetDestinationsAreTheirOwnNextHop() throws {
        let table = try RoutingTable(interface: interface)
        #expect(try table.nextHop(for: IPv4Address(198, 18, 0, 2)) == IPv4Address(198, 18, 0, 2))
        #expect(try table.nextHop(for: IPv4Address(198, 18, 0, 254)) == IPv4Address(198, 18, 0, 254))
    }

    @Test func offSubnetDestinationsNeedTheGateway() throws {
        let isolated = try RoutingTable(interface: interface)
        #expect(routingError(isolated, IPv4Address(198, 19, 0, 1)) == .noRoute(IPv4Address(198, 19, 0, 1)))
        let routed = try RoutingTable(interface: interface, gateway: IPv4Address(198, 18, 0, 254))
        #expect(try routed.nextHop(for: IPv4Address(198, 19, 0, 1)) == IPv4Address(198, 18, 0, 254))
        #expect(try routed.nextHop(for: IPv4Address(198, 18, 0, 9)) == IPv4Address(198, 18, 0, 9), "the subnet stays direct")
    }

    @Test("destinations that are not a single host are refused, even with a gateway",
          arguments: [IPv4Address(198, 18, 0, 255), .broadcast, .any, IPv4Address(224, 0, 0, 1), IPv4Address(127, 0, 0, 1)])
    func refusesNonUnicast(_ destination: IPv4Address) throws {
        let table = try RoutingTable(interface: interface, gateway: IPv4Address(198, 18, 0, 254))
        #expect(routingError(table, destination) == .notUnicast(destination))
    }

    @Test func refusesItsOwnAddress() throws {
        let table = try RoutingTable(interface: interface)
        #expect(routingError(table, interface.address) == .ownAddress(interface.address))
    }

    @Test func gatewayMustBeAnotherHostOfTheSubnet() {
        func error(_ gateway: IPv4Address) -> NetworkConfigurationError? {
            configurationError { () throws(NetworkConfigurationError) in _ = try RoutingTable(interface: interface, gateway: gateway) }
        }
        #expect(error(IPv4Address(198, 19, 0, 1)) == .gatewayOutsideSubnet(IPv4Address(198, 19, 0, 1)))
        #expect(error(interface.address) == .unusableGateway(interface.address))
        #expect(error(IPv4Address(198, 18, 0, 255)) == .unusableGateway(IPv4Address(198, 18, 0, 255)))
        #expect(error(IPv4Address(198, 18, 0, 254)) == nil)
    }

    @Test func errorsExplainThemselves() {
        #expect(NetworkError.noRoute(IPv4Address(198, 19, 0, 1)).description.contains("no route to 198.19.0.1"))
        #expect(NetworkConfigurationError.gatewayOutsideSubnet(IPv4Address(198, 19, 0, 1)).description.contains("outside"))
    }
}
