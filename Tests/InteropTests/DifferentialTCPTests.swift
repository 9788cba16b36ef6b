#if os(Linux)
import Testing
import FlexTCPFuzz
import FlexTestHosts
import FlexWire

/// One scripted exchange run against both TCPs: its name (the rule), what both should answer
/// (the transcript the script returns: one line per step, "step: replies"), and the script.
struct DifferentialCase: CustomStringConvertible, Sendable {
    let name: String
    let expected: [String]
    let script: @Sendable (DifferentialPeer) -> [String]
    var description: String { name }
}

/// The same crafted segments sent to the Linux kernel's TCP and to FlexTCP on a veth; both
/// transcripts must equal the expected one (so the expectation is checked against Linux, and
/// FlexTCP against both). Where Linux and the RFC differ and FlexTCP follows the RFC, the script
/// records only the shared part (noted at the case).
@Suite("Differential: crafted segments against Linux and FlexTCP", .enabled(if: runsAsRoot), .serialized)
struct DifferentialTCPTests {
    /// Both transcripts of every case, recorded once (about 10 s) on first use.
    private static let transcripts = Result { () throws -> (linux: [String: [String]], flextcp: [String: [String]]) in
        (try record(.linux), try record(.flextcp))
    }

    @Test("Linux answers as expected and FlexTCP answers as Linux", arguments: cases)
    func sameRepliesAsLinux(_ testCase: DifferentialCase) throws {
        let (linux, flextcp) = try Self.transcripts.get()
        let fromLinux = linux[testCase.name] ?? [], fromFlexTCP = flextcp[testCase.name] ?? []
        #expect(fromLinux == testCase.expected, "Linux does not answer as expected\n  Linux:    \(fromLinux)\n  expected: \(testCase.expected)")
        #expect(fromFlexTCP == fromLinux, "FlexTCP differs from Linux\n  FlexTCP: \(fromFlexTCP)\n  Linux:   \(fromLinux)")
    }

    /// Runs every case against `target` in a fresh network; returns each case's transcript by name.
    private static func record(_ target: DifferentialTarget) throws -> [String: [String]] {
        try TestNetwork.with { network in
            let rig = try DifferentialRig(network, target: target)
            defer { rig.close() }
            let peer = DifferentialPeer(rig: rig)
            var results: [String: [String]] = [:]
            for testCase in cases { results[testCase.name] = testCase.script(peer) }
            return results
        }
    }

    static let closed = DifferentialRig.closedPort
    static let ping = Array("0123456789".utf8)

    static let cases: [DifferentialCase] = [
        DifferentialCase(name: "RFC 9293 3.10.7.1: SYN to a closed port gets RST|ACK acknowledging the SYN",
                         expected: ["SYN: RST|ACK seq=0 ack=1 len=0"]) { peer in
            let connection = peer.newConnection(to: closed)
            return ["SYN: \(peer.exchange(connection, peer.segment(connection, flags: .syn)).joined(separator: ", "))"]
        },
        DifferentialCase(name: "RFC 9293 3.10.7.1: ACK to a closed port gets RST with seq = SEG.ACK",
                         expected: ["ACK: RST seq=1431633920 len=0"]) { peer in
            let connection = peer.newConnection(to: closed)
            let segment = peer.segment(connection, flags: .ack, acknowledgment: 0x5555_0000, payload: ping)
            return ["ACK: \(peer.exchange(connection, segment).joined(separator: ", "))"]
        },
        attempt("RFC 9293 3.10.7.2: SYN with data gets a SYN-ACK acknowledging only the SYN", expected: "SYN|ACK seq=0 ack=1 len=0",
                flags: .syn, payload: ping),
        attempt("RFC 9293 3.10.7.2: SYN|FIN to a listener is dropped", expected: nil, flags: [.syn, .fin]),
        attempt("RFC 9293 3.10.7.2: SYN|URG|PSH|FIN to a listener is dropped", expected: nil, flags: [.syn, .urg, .psh, .fin]),
        attempt("RFC 9293 3.10.7.2: a segment without flags to a listener is dropped", expected: nil, flags: []),
        attempt("RFC 9293 3.10.7.2: FIN alone to a listener is dropped", expected: nil, flags: .fin),
        attempt("RFC 9293 3.1: SYN with an MSS option of length 3 connects, the option ignored", expected: "SYN|ACK seq=0 ack=1 len=0",
                flags: .syn, options: [2, 3, 0x05, 1]),
        attempt("RFC 7323 3.2: SYN with a timestamps option of length 8 connects, the option ignored", expected: "SYN|ACK seq=0 ack=1 len=0",
                flags: .syn, options: [8, 8, 1, 2, 3, 4, 5, 6]),
        attempt("RFC 7323 3.2: SYN with a timestamps option of length 255 connects, the option ignored", expected: "SYN|ACK seq=0 ack=1 len=0",
                flags: .syn, options: [8, 255, 0, 0]),
        attempt("RFC 2018 2: SYN with a SACK-permitted option of length 10 connects, the option ignored", expected: "SYN|ACK seq=0 ack=1 len=0",
                flags: .syn, options: [4, 10, 0, 0, 0, 0, 0, 0, 0, 0]),
        attempt("RFC 7323 2.2: SYN with a window scale option of length 2 connects, the option ignored", expected: "SYN|ACK seq=0 ack=1 len=0",
                flags: .syn, options: [3, 2, 1, 1]),
        // An experimental option (RFC 4727, type 0x9e) a host does not know.
        attempt("RFC 1122 3.2.1.8: a SYN with IP options it does not know connects, the options ignored",
                expected: "SYN|ACK seq=0 ack=1 len=0", flags: .syn, ipOptions: [0x9e, 4, 0, 0]),
        attempt("RFC 1122 3.3.2: a SYN in three IP fragments is reassembled and answered", expected: "SYN|ACK seq=0 ack=1 len=0",
                flags: .syn, fragmentedAt: [8, 16]),
        // Linux drops data whose ACK is above SND.NXT without an ACK (tcp_ack: ACK of unsent data);
        // RFC 9293 3.10.7.4 asks for an ACK. Shared part: the data is not taken (the probe's ACK).
        established("RFC 9293 3.10.7.4 / RFC 5961 5.2: data with an ACK above SND.NXT is dropped",
                    expected: ["probe: ACK seq=1 ack=5 len=0"]) { peer, connection in
            peer.rig.send(peer.segment(connection, flags: [.ack, .psh], acknowledgment: connection.targetInitialSequence! &+ 1001, payload: ping))
            _ = peer.rig.collect(port: connection.sourcePort)
            return ["probe: \(peer.probe(connection).joined(separator: ", "))"]
        },
        // Linux's header-prediction fast path queues data at RCV.NXT before it looks at the ACK, so
        // an old ACK passes there; its full path (taken here: 4 NOP option bytes break the predicted
        // header) applies RFC 5961 5.2 as FlexTCP must on every path.
        established("RFC 5961 5.2: data with an ACK below SND.UNA - MAX.SND.WND is dropped with an ACK",
                    expected: ["old ACK: ACK seq=1 ack=5 len=0", "probe: ACK seq=1 ack=5 len=0"]) { peer, connection in
            let old = peer.segment(connection, flags: [.ack, .psh], acknowledgment: connection.targetInitialSequence! &+ 1 &- 100_000,
                                   payload: ping, options: [1, 1, 1, 1])
            return ["old ACK: \(peer.exchange(connection, old).joined(separator: ", "))", "probe: \(peer.probe(connection).joined(separator: ", "))"]
        },
        established("RFC 5961 3.2: an in-window RST that is not exact gets a challenge ACK",
                    expected: ["RST: ACK seq=1 ack=5 len=0", "probe: ACK seq=1 ack=5 len=0"]) { peer, connection in
            let reset = peer.segment(connection, flags: .rst, sequence: connection.sendNext &+ 100)
            return ["RST: \(peer.exchange(connection, reset).joined(separator: ", "))", "probe: \(peer.probe(connection).joined(separator: ", "))"]
        },
        established("RFC 5961 4.2: a SYN on an established connection gets a challenge ACK",
                    expected: ["SYN: ACK seq=1 ack=5 len=0", "probe: ACK seq=1 ack=5 len=0"]) { peer, connection in
            let syn = peer.segment(connection, flags: .syn, sequence: connection.sendNext &+ 10)
            return ["SYN: \(peer.exchange(connection, syn).joined(separator: ", "))", "probe: \(peer.probe(connection).joined(separator: ", "))"]
        },
        // Linux delays the ACK of a FIN (pingpong mode), hence the longer wait.
        established("RFC 9293 3.10.7.4: in CLOSE-WAIT, text after the peer's FIN is ignored",
                    expected: ["FIN: ACK seq=1 ack=6 len=0", "data after FIN: ", "probe: ACK seq=1 ack=6 len=0"]) { peer, connection in
            var connection = connection
            let fin = peer.exchange(connection, peer.segment(connection, flags: [.ack, .fin]), milliseconds: 400)
            connection.sendNext &+= 1
            let after = peer.exchange(connection, peer.segment(connection, flags: [.ack, .psh], payload: Array("after the end".utf8) + [10]))
            return ["FIN: \(fin.joined(separator: ", "))", "data after FIN: \(after.joined(separator: ", "))",
                    "probe: \(peer.probe(connection).joined(separator: ", "))"]
        },
        established("RFC 7323 5.3: PAWS drops a segment with an old TSval and acknowledges", timestamps: true,
                    expected: ["new TSval: ACK seq=1 ack=15 len=0", "old TSval: ACK seq=1 ack=15 len=0", "probe: ACK seq=1 ack=15 len=0"]) { peer, connection in
            var connection = connection
            connection.timestampValue = 2000
            let fresh = peer.exchange(connection, peer.segment(connection, flags: [.ack, .psh], payload: ping))
            connection.sendNext &+= UInt32(ping.count)
            connection.dataEnd = connection.sendNext
            connection.timestampValue = 1500
            let old = peer.exchange(connection, peer.segment(connection, flags: [.ack, .psh], payload: ping))
            connection.timestampValue = 3000
            return ["new TSval: \(fresh.joined(separator: ", "))", "old TSval: \(old.joined(separator: ", "))",
                    "probe: \(peer.probe(connection).joined(separator: ", "))"]
        },
        established("RFC 1122 3.2.1.8: data with IP options it does not know is accepted on an established connection",
                    expected: ["data: ACK seq=1 ack=15 len=0", "probe: ACK seq=1 ack=15 len=0"]) { peer, connection in
            var connection = connection
            var segment = peer.segment(connection, flags: [.ack, .psh], payload: ping)
            segment.ipOptionBytes = [0x9e, 4, 0, 0]
            let replies = peer.exchange(connection, segment)
            connection.sendNext &+= UInt32(ping.count)
            connection.dataEnd = connection.sendNext
            return ["data: \(replies.joined(separator: ", "))", "probe: \(peer.probe(connection).joined(separator: ", "))"]
        },
        established("RFC 1122 / RFC 894: data sent to the broadcast MAC is not ours", expected: ["broadcast: ", "probe: ACK seq=1 ack=5 len=0"]) {
            peer, connection in
            var segment = peer.segment(connection, flags: [.ack, .psh], payload: ping)
            segment.destinationMAC = .broadcast
            return ["broadcast: \(peer.exchange(connection, segment).joined(separator: ", "))", "probe: \(peer.probe(connection).joined(separator: ", "))"]
        },
    ]

    /// A case sending one segment with `flags` to the listener; `expected` is the one reply (nil: none).
    /// A SYN-ACK is answered with an exact RST so the listener forgets the attempt.
    /// With `fragmentedAt`, the segment goes out as IPv4 fragments split at those offsets.
    static func attempt(_ name: String, expected: String?, flags: TCPFlags, payload: [UInt8] = [], options: [UInt8] = [],
                        ipOptions: [UInt8] = [], fragmentedAt offsets: [Int]? = nil) -> DifferentialCase {
        DifferentialCase(name: name, expected: ["segment: \(expected ?? "")"]) { peer in
            var connection = peer.newConnection()
            var segment = peer.segment(connection, flags: flags, payload: payload, options: RawTCPOption.maximumSegmentSize(1460) + options)
            segment.ipOptionBytes = ipOptions
            segment.identification = connection.sourcePort
            if let offsets {
                for fragment in segment.fragments(splittingAt: offsets) { #expect(peer.rig.peerPort.transmit(fragment)) }
            } else {
                peer.rig.send(segment)
            }
            let replies = peer.rig.collect(port: connection.sourcePort)
            if let synAcknowledgment = replies.first(where: { $0.flags == [.syn, .ack] }) {
                connection.targetInitialSequence = synAcknowledgment.sequence
                connection.sendNext = synAcknowledgment.acknowledgment
                peer.reset(connection)
            }
            return ["segment: \(peer.describe(replies, on: connection).joined(separator: ", "))"]
        }
    }

    /// A case on a connection established by `DifferentialPeer.establish` (4 bytes sent and
    /// acknowledged); the connection is reset afterwards.
    static func established(_ name: String, timestamps: Bool = false, expected: [String],
                            script: @escaping @Sendable (DifferentialPeer, PeerConnection) -> [String]) -> DifferentialCase {
        DifferentialCase(name: name, expected: expected) { peer in
            guard let connection = peer.establish(timestamps: timestamps) else { return ["connection not established"] }
            defer { peer.reset(connection) }
            return script(peer, connection)
        }
    }
}
#endif
