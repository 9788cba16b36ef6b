/// Where every named value of a program lives in the field buffer, a flat array of 64-bit slots:
///
/// `[packet fields | header valid/offset/length | packet.length | metadata | DMA requests]` are reset
/// for every packet; `[constants | entry parameters]` follow and are not.
/// Only the packet fields the program uses (or the parser needs) get a slot.
struct SlotLayout {
    /// A packet field with a slot: its header and declaration.
    struct PacketField {
        var headerIndex: Int
        var declaration: FieldDeclaration
    }

    /// The read-only values the parser records per header, in slot order.
    static let headerProperties = ["valid", "offset", "length"]
    static let headerSlotsPerHeader = headerProperties.count
    static let dmaSlotsPerRequest = 4

    let headerIndex: [String: Int]
    private(set) var slots: [String: Int] = [:]
    private(set) var packetFields: [PacketField] = []
    let headerSlotsBase: Int
    let packetLengthSlot: Int
    let metadataBase: Int
    let dmaBase: Int
    let perPacketCount: Int
    let dmaRequestCapacity: Int

    /// Lays out `program` giving slots to the fields named in `usedFields` (unknown names are skipped;
    /// the validator reports them) and to as many DMA requests as one packet can issue.
    init(program: Program, usedFields: Set<String>) {
        let headers = program.parseGraph.headers
        var headerIndex: [String: Int] = [:]
        for (index, header) in headers.enumerated() where headerIndex[header.name] == nil { headerIndex[header.name] = index }
        self.headerIndex = headerIndex
        for (index, header) in headers.enumerated() {
            for field in header.fields {
                let name = "\(header.name).\(field.name)"
                guard usedFields.contains(name) || Self.parserNeeds(field.name, of: header), slots[name] == nil else { continue }
                slots[name] = packetFields.count
                packetFields.append(PacketField(headerIndex: index, declaration: field))
            }
        }
        headerSlotsBase = packetFields.count
        for (index, header) in headers.enumerated() {
            for (offset, property) in Self.headerProperties.enumerated() {
                let slot = headerSlotsBase + index * Self.headerSlotsPerHeader + offset
                for name in Self.propertyNames(property, of: header) where slots[name] == nil { slots[name] = slot }
            }
        }
        packetLengthSlot = headerSlotsBase + headers.count * Self.headerSlotsPerHeader
        slots["packet.length"] = packetLengthSlot
        metadataBase = packetLengthSlot + 1
        let metadata = Metadata.all + program.metadata.map { "meta.\($0)" }
        for (offset, name) in metadata.enumerated() where slots[name] == nil { slots[name] = metadataBase + offset }
        dmaBase = metadataBase + metadata.count
        dmaRequestCapacity = program.dmaRequestsOnLongestPath
        perPacketCount = dmaBase + dmaRequestCapacity * Self.dmaSlotsPerRequest
    }

    /// The names a header property goes by: `header.$property` always, and `header.property` unless
    /// the header declares a field of that name (the declared field keeps its name).
    private static func propertyNames(_ property: String, of header: HeaderDeclaration) -> [String] {
        let reserved = "\(header.name).$\(property)"
        return header.fields.contains { $0.name == property } ? [reserved] : [reserved, "\(header.name).\(property)"]
    }

    /// Whether the parser reads `field` of `header` (its length field or a transition field).
    private static func parserNeeds(_ field: String, of header: HeaderDeclaration) -> Bool {
        if case .variable(let lengthField, _, _, _) = header.length, lengthField == field { return true }
        return header.transitions.contains { $0.field == field }
    }

    /// The slot of a named field, if it has one.
    func slot(of name: String) -> Int? { slots[name] }

    /// How many bytes a field contributes to a hash: a packet field's width, 8 for any other value.
    func byteWidth(of name: String) -> Int {
        guard let slot = slots[name], slot < headerSlotsBase else { return 8 }
        return packetFields[slot].declaration.byteWidth
    }

    /// Whether actions may write the named field: packet fields and metadata.
    func isWritable(_ name: String) -> Bool {
        guard let slot = slots[name] else { return false }
        return slot < headerSlotsBase || slot >= metadataBase
    }

    /// Whether `name` is a field of the parse graph (used or not) or a header/packet/metadata field.
    static func isDeclared(_ name: String, in program: Program) -> Bool {
        if name == "packet.length" || Metadata.all.contains(name) || program.metadata.contains(where: { "meta.\($0)" == name }) {
            return true
        }
        for header in program.parseGraph.headers {
            if headerProperties.contains(where: { propertyNames($0, of: header).contains(name) }) { return true }
            if header.fields.contains(where: { "\(header.name).\($0.name)" == name }) { return true }
        }
        return false
    }
}
