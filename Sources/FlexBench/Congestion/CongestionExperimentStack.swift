import FlexTCPCore

/// The stack configuration every congestion-control experiment host uses: the experiment's
/// congestion control (`ExperimentFabric.dctcp` unless it compares others), ECN offered, rings
/// large enough for the bandwidth-delay product, a data-center RTO.
enum CongestionExperimentStack {
    static func configure(_ configuration: inout StackConfiguration, flows: Int, minimumRetransmissionTimeout: UInt64,
                          congestionControl: any CongestionControlAlgorithm) {
        configuration.flowCapacity = flows + 16
        configuration.backlog = max(128, flows)
        configuration.slowPath.synQueueCapacity = max(128, flows)
        configuration.receiveRingSize = 256 << 10
        configuration.transmitRingSize = 256 << 10
        configuration.slowPath.offersECN = true
        configuration.slowPath.minimumRetransmissionTimeout = minimumRetransmissionTimeout
        configuration.slowPath.congestionControl = congestionControl
    }

    /// Hosts 0 ... `senderHosts` on `fabric`'s switch, every stack running `congestionControl`, each
    /// sender host with `connectionsPerHost` connections open to port 5000 on host 0.
    static func connectedHosts(fabric: ExperimentFabric, senderHosts: Int, connectionsPerHost: Int,
                               congestionControl: any CongestionControlAlgorithm)
        throws -> (hosts: SwitchedHosts, senders: [(host: Int, flow: FlowIndex)], receiverFlows: [FlowIndex]) {
        let connections = senderHosts * connectionsPerHost
        let hosts = try SwitchedHosts(hostCount: senderHosts + 1, link: fabric.linkSettings, stepNanoseconds: fabric.stepNanoseconds) {
            host, configuration in
            configure(&configuration, flows: host == 0 ? connections : connectionsPerHost,
                      minimumRetransmissionTimeout: fabric.minimumRetransmissionTimeoutNanoseconds, congestionControl: congestionControl)
        }
        let senderHostIndices = Array(1...senderHosts)
        let (senderFlows, receiverFlows) = try hosts.connect(senders: senderHostIndices, connectionsEach: connectionsPerHost, to: 0, port: 5000)
        let senders = zip(senderHostIndices, senderFlows).flatMap { host, flows in flows.map { (host: host, flow: $0) } }
        return (hosts, senders, receiverFlows)
    }
}
