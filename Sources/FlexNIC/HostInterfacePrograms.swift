/// The records the host interface's doorbell and DMA pipelines parse, and their standard programs
/// (dissertation §3.3, Figure 3.2). Both records are 16 bytes of big-endian 32-bit fields.
///
/// - Doorbell pipeline: a doorbell whose tail is valid (neither behind the ring's last accepted one
///   nor more than the ring's capacity ahead of its consumer index) becomes a record `doorbell`
///   {ring, tail, descriptors: new since the last accepted doorbell, capacity}. The program's
///   `setBucket` names the queue-manager bucket (bucket n drains transmit ring n) and the tokens it
///   gets; a drop or exception ignores the doorbell (counted; its descriptors count again with the
///   ring's next doorbell), a bucket that does not exist is counted as invalid.
/// - DMA pipeline: each token the QM releases reads its ring's next announced descriptor into a
///   record `descriptor` {ring, bytes (its length, at most the slot), value (the host's word), buffer: the
///   region offset of the descriptor's buffer}. The program's DMA requests (direction from host)
///   copy `length` bytes of the region at `hostAddress` into the frame being assembled at
///   `packetOffset`; the frame ends where the furthest request ends and then takes the transmit
///   program. A drop, an exception or a request outside the region or the frame
///   (refused) consumes the descriptor without sending (counted), and so does a frame shorter than an Ethernet
///   header (no read at all included: counted as malformed).
public enum HostInterfacePrograms {
    /// Bytes of either record.
    public static let recordLength = 16

    /// The doorbell record's parse graph.
    public static let doorbellGraph = ParseGraph(start: "doorbell", headers: [
        HeaderDeclaration("doorbell", length: .fixed(recordLength), fields: [
            FieldDeclaration("ring", at: 0, bytes: 4), FieldDeclaration("tail", at: 4, bytes: 4),
            FieldDeclaration("descriptors", at: 8, bytes: 4), FieldDeclaration("capacity", at: 12, bytes: 4),
        ]),
    ])

    /// The fetched descriptor's parse graph.
    public static let descriptorGraph = ParseGraph(start: "descriptor", headers: [
        HeaderDeclaration("descriptor", length: .fixed(recordLength), fields: [
            FieldDeclaration("ring", at: 0, bytes: 4), FieldDeclaration("bytes", at: 4, bytes: 4),
            FieldDeclaration("value", at: 8, bytes: 4), FieldDeclaration("buffer", at: 12, bytes: 4),
        ]),
    ])

    /// The standard doorbell program: one token per new descriptor into the ring's own bucket.
    public static func doorbell() -> Program {
        Program("doorbell", pipeline: .doorbell, parseGraph: doorbellGraph, stages: [
            StageDeclaration("tokens", .action(ActionDeclaration("fill", [.setBucket("doorbell.ring", tokens: "doorbell.descriptors")]))),
        ])
    }

    /// The standard DMA program: the descriptor's whole buffer, as long as the descriptor says, is the frame.
    public static func dma() -> Program {
        Program("dma", pipeline: .dma, parseGraph: descriptorGraph, stages: [
            StageDeclaration("fetch", .action(ActionDeclaration("fetch", [
                .dma(DMARequest(packetOffset: 0, length: "descriptor.bytes", direction: .fromHost, hostAddress: "descriptor.buffer")),
            ]))),
        ])
    }

    /// Writes a record of four 32-bit fields into `record` (the layout both graphs declare).
    static func store(_ fields: (UInt32, UInt32, UInt32, UInt32), into record: UnsafeMutableRawPointer) {
        record.storeBytes(of: fields.0.bigEndian, as: UInt32.self)
        record.storeBytes(of: fields.1.bigEndian, toByteOffset: 4, as: UInt32.self)
        record.storeBytes(of: fields.2.bigEndian, toByteOffset: 8, as: UInt32.self)
        record.storeBytes(of: fields.3.bigEndian, toByteOffset: 12, as: UInt32.self)
    }
}
