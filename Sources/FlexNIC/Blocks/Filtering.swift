/// Building block: filtering. A ternary access list over source address, protocol and destination
/// port drops unwanted packets or diverts them to the exception queue; the rest pass.
public enum Filtering {
    public static let dropReason: UInt8 = 1
    public static let divertReason: UInt8 = 1

    /// Table `acl` keyed on (`ipv4.source`, `ipv4.protocol`, `udp.destination_port`) with actions
    /// `allow`, `deny` (drop) and `divert` (exception); entries carry value/mask pairs and priorities.
    public static func program(entries: [TableEntry] = []) -> Program {
        Program("filter", stages: [
            StageDeclaration("acl", when: StageCondition("ipv4.valid", .equal, 1), .table(TableDeclaration(
                "acl", kind: .ternary, keys: ["ipv4.source", "ipv4.protocol", "udp.destination_port"], size: 256,
                actions: [
                    ActionDeclaration("allow", []), ActionDeclaration("deny", [.drop(reason: dropReason)]),
                    ActionDeclaration("divert", [.exception(reason: divertReason)]),
                ],
                defaultAction: "allow", entries: entries))),
        ])
    }
}
