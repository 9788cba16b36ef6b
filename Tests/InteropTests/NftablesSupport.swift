#if os(Linux)
import Testing
import FlexTestHosts

/// One nftables rule of an impaired wire: it acts on a percentage, picked at random, of the TCP
/// packets headed to `destination` (dotted IPv4 in 198.18.0.0/15).
struct ImpairmentRule {
    enum Action {
        /// Drop the packet: loss on the wire.
        case drop
        /// Set the IP ECN field to CE, only on ECT(0) packets (RFC 3168 never marks Not-ECT ones).
        case markCongestionExperienced
    }

    /// Names the rule in `ImpairedBridge.count(of:)`.
    let name: String
    let destination: String
    let percent: Int
    let action: Action

    /// The rule in nft syntax, with a counter and `name` as its comment.
    var nftRule: String {
        let match = "ip protocol tcp ip daddr \(destination)"
        let chance = "numgen random mod 100 < \(percent) counter"
        switch action {
        case .drop: return "\(match) \(chance) drop comment \"\(name)\""
        case .markCongestionExperienced: return "\(match) ip ecn ect0 \(chance) ip ecn set ce comment \"\(name)\""
        }
    }
}

/// A Linux bridge in its own namespace joining two veth ends, with the nftables table `bridge
/// impair` applying `rules` to every frame it forwards.
///
/// The impairment sits between the hosts, not in either of them: a drop in an endpoint's own
/// output hook reaches its TCP as a local send error, which it retries without any loss on the
/// wire; and FlexTCP's AF_PACKET socket sees frames before any netfilter hook of its namespace.
struct ImpairedBridge {
    let namespace: TestNamespace

    /// Enslaves `ports` (interfaces in `namespace`) to a new bridge and loads `rules`.
    init(in namespace: TestNamespace, ports: [String], rules: [ImpairmentRule]) throws {
        self.namespace = namespace
        _ = try namespace.runChecked(["ip", "link", "add", "impairbr", "type", "bridge"])
        for port in ports { _ = try namespace.runChecked(["ip", "link", "set", port, "master", "impairbr"]) }
        try namespace.bringUp("impairbr")
        let chain = "type filter hook forward priority 0; policy accept;"
        let ruleset = "add table bridge impair; add chain bridge impair forward { \(chain) }; "
            + rules.map { "add rule bridge impair forward \($0.nftRule)" }.joined(separator: "; ")
        _ = try namespace.runChecked(["nft", ruleset])
    }

    /// How many packets the rule named `name` acted on so far.
    func count(of name: String) throws -> Int {
        let listing = try namespace.runChecked(["nft", "list", "chain", "bridge", "impair", "forward"])
        let line = try #require(listing.split(separator: "\n").first { $0.contains("comment \"\(name)\"") }, "no rule \(name)")
        let counted = try #require(line.firstRange(of: "counter packets "), "no counter on rule \(name)")
        return try #require(Int(line[counted.upperBound...].prefix { $0.isNumber }))
    }
}

/// A counter of the kernel's TCP MIB in `namespace` (e.g. "TcpRetransSegs", "TcpExtTCPDeliveredCE"),
/// as `nstat` reports it since the namespace was made.
func kernelTCPCounter(_ name: String, in namespace: TestNamespace) throws -> Int {
    let text = try namespace.runChecked(["nstat", "-a", "-s", "-z", name])
    let line = try #require(text.split(separator: "\n").first { $0.hasPrefix(name + " ") }, "nstat: \(text)")
    return try #require(Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]))
}
#endif
