extension Primitive {
    /// The operands the primitive reads.
    var operands: [Operand] {
        switch self {
        case .set(_, let value), .not(_, let value): [value]
        case .binary(_, _, let left, let right), .compare(_, _, let left, let right): [left, right]
        case .select(_, let condition, let whenTrue, let whenFalse): [condition, whenTrue, whenFalse]
        case .swap(let left, let right): [.field(left), .field(right)]
        case .hashFields(_, _, let fields): fields.map { .field($0) }
        case .hashPayload: []
        case .hashPayloadRange(_, _, _, _, let length, _): [length]
        case .registerRead(_, _, let index): [index]
        case .registerWrite(_, let index, let value), .registerAdd(_, let index, let value, _): [index, value]
        case .queueRoom(_, let queue): [queue]
        case .setQueue(let queue): [queue]
        case .setBucket(let bucket, let tokens): [bucket, tokens]
        case .dma(let request): [request.packetOffset, request.length, request.hostAddress]
        case .drop, .exception, .reply, .goToStage: []
        case .tableWrite(_, let key, _): key
        }
    }

    /// The fields the primitive writes.
    var destinations: [String] {
        switch self {
        case .set(let destination, _), .binary(_, let destination, _, _), .not(let destination, _),
             .compare(_, let destination, _, _), .select(let destination, _, _, _), .hashFields(_, let destination, _),
             .hashPayload(_, let destination, _, _, _), .hashPayloadRange(_, let destination, _, _, _, _), .registerRead(let destination, _, _), .queueRoom(let destination, _):
            [destination]
        case .swap(let left, let right): [left, right]
        case .registerAdd(_, _, _, let result): result.map { [$0] } ?? []
        case .setQueue: [Metadata.queue]
        case .setBucket: [Metadata.bucket, Metadata.tokens]
        case .drop: [Metadata.drop]
        case .exception: [Metadata.exception]
        case .registerWrite, .dma, .reply, .goToStage, .tableWrite: []
        }
    }

    /// Every field name the primitive mentions.
    var fieldNames: [String] {
        operands.compactMap { if case .field(let name) = $0 { name } else { nil } } + destinations
    }
}

extension Program {
    /// Every field name the program's stages mention (conditions, keys, primitives).
    var referencedFields: Set<String> {
        var names: Set<String> = []
        for stage in stages {
            if let condition = stage.condition {
                for operand in [condition.left, condition.right] { if case .field(let name) = operand { names.insert(name) } }
            }
            if case .table(let table) = stage.body { names.formUnion(table.keys) }
            for action in stage.actions { for primitive in action.primitives { names.formUnion(primitive.fieldNames) } }
        }
        return names
    }
}

extension ActionDeclaration {
    /// How many DMA requests the action issues.
    var dmaRequestCount: Int { primitives.count { if case .dma = $0 { true } else { false } } }
}

extension StageDeclaration {
    /// The most DMA requests one of the stage's actions issues.
    var mostDMARequestsInOneAction: Int { actions.map(\.dmaRequestCount).max() ?? 0 }
}

extension Program {
    /// The most DMA requests one packet can issue: each stage's busiest action, added up.
    var dmaRequestsOnLongestPath: Int { stages.reduce(0) { $0 + $1.mostDMARequestsInOneAction } }
}
