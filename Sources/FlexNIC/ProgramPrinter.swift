/// Renders a program as readable text: parse graph, declarations, then each stage with its guard,
/// table and actions in a pseudocode close to the dissertation's figures.
public enum ProgramPrinter {
    /// Entries listed per table before the rest are summarised.
    public static let listedEntries = 8

    /// The whole program as text (one trailing newline).
    public static func render(_ program: Program) -> String {
        var lines = ["program \(program.name)" + (program.pipeline == .receive ? "" : " (\(program.pipeline) pipeline)")]
        lines.append("parser (start \(program.parseGraph.start)):")
        for header in program.parseGraph.headers {
            let edges = header.transitions.map { "\($0.field) == \(hex($0.value)) → \($0.next)" }
            lines.append("  \(header.name) [\(render(header.length))]" + (edges.isEmpty ? "" : ": " + edges.joined(separator: ", ")))
        }
        if !program.metadata.isEmpty { lines.append("metadata " + program.metadata.map { "meta.\($0)" }.joined(separator: ", ")) }
        for array in program.registers { lines.append("register \(array.name)[\(array.size)]") }
        for stage in program.stages {
            let condition = stage.condition.map { " when \(render($0.left)) \($0.comparison.rawValue) \(render($0.right))" } ?? ""
            lines.append("stage \(stage.name)\(condition):")
            switch stage.body {
            case .table(let table):
                lines.append("  table \(table.name): \(table.kind.rawValue) match on \(table.keys.joined(separator: ", ")), size \(table.size), "
                             + "default \(table.defaultAction)(\(table.defaultParameters.map(hex).joined(separator: ", ")))")
                for action in table.actions { lines += render(action, indent: "    ") }
                for entry in table.entries.prefix(listedEntries) { lines.append("    entry " + render(entry, kind: table.kind)) }
                if table.entries.count > listedEntries { lines.append("    … \(table.entries.count - listedEntries) more entries") }
            case .action(let action):
                lines += render(action, indent: "  ")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func render(_ length: HeaderLength) -> String {
        switch length {
        case .fixed(let bytes): "\(bytes) bytes"
        case .variable(let field, let unit, let minimum, let maximum): "\(field) × \(unit), \(minimum)…\(maximum) bytes"
        }
    }

    private static func render(_ action: ActionDeclaration, indent: String) -> [String] {
        let parameters = (0..<action.parameterCount).map { "p\($0)" }.joined(separator: ", ")
        return ["\(indent)action \(action.name)(\(parameters)):"] + action.primitives.map { "\(indent)  \(render($0))" }
    }

    private static func render(_ entry: TableEntry, kind: MatchKind) -> String {
        let key: String
        switch kind {
        case .exact: key = entry.key.map(hex).joined(separator: ", ")
        case .ternary: key = zip(entry.key, entry.qualifier).map { "\(hex($0))/\(hex($1))" }.joined(separator: ", ")
        case .range: key = zip(entry.key, entry.qualifier).map { "\(hex($0))…\(hex($1))" }.joined(separator: ", ")
        case .longestPrefix: key = "\(hex(entry.key.first ?? 0))/\(entry.qualifier.first ?? 0)"
        }
        let priority = kind == .ternary || kind == .range ? " priority \(entry.priority)" : ""
        return "[\(key)]\(priority) → \(entry.action)(\(entry.parameters.map(hex).joined(separator: ", ")))"
    }

    private static func render(_ operand: Operand) -> String {
        switch operand {
        case .field(let name): name
        case .constant(let value): hex(value)
        case .parameter(let index): "p\(index)"
        }
    }

    private static func hex(_ value: UInt64) -> String { value < 10 ? "\(value)" : "0x" + String(value, radix: 16) }

    private static let binarySymbols: [BinaryOperation: String] = [
        .add: "+", .subtract: "-", .and: "&", .or: "|", .xor: "^", .shiftLeft: "<<", .shiftRight: ">>",
        .multiply: "*", .divide: "/", .remainder: "%",
    ]

    /// One primitive as a line of pseudocode.
    static func render(_ primitive: Primitive) -> String {
        switch primitive {
        case .set(let destination, let value): "\(destination) = \(render(value))"
        case .binary(let operation, let destination, let left, let right):
            "\(destination) = \(render(left)) \(binarySymbols[operation] ?? operation.rawValue) \(render(right))"
        case .not(let destination, let value): "\(destination) = ~\(render(value))"
        case .compare(let comparison, let destination, let left, let right):
            "\(destination) = \(render(left)) \(comparison.rawValue) \(render(right))"
        case .select(let destination, let condition, let whenTrue, let whenFalse):
            "\(destination) = \(render(condition)) ? \(render(whenTrue)) : \(render(whenFalse))"
        case .swap(let left, let right): "SWAP(\(left), \(right))"
        case .hashFields(let function, let destination, let fields): "\(destination) = \(function.rawValue)(\(fields.joined(separator: ", ")))"
        case .hashPayload(let function, let destination, let header, let offset, let length):
            "\(destination) = \(function.rawValue)(payload after \(header) + \(offset), \(length) bytes)"
        case .hashPayloadRange(let function, let destination, let header, let offset, let length, let maximum):
            "\(destination) = \(function.rawValue)(payload after \(header) + \(offset), \(render(length)) bytes, at most \(maximum))"
        case .registerRead(let destination, let array, let index): "\(destination) = \(array)[\(render(index))]"
        case .registerWrite(let array, let index, let value): "\(array)[\(render(index))] = \(render(value))"
        case .registerAdd(let array, let index, let value, let result):
            (result.map { "\($0) = " } ?? "") + "\(array)[\(render(index))] += \(render(value))"
        case .queueRoom(let destination, let queue): "\(destination) = ROOM(queue \(render(queue)))"
        case .setQueue(let queue): "QUEUE(\(render(queue)))"
        case .setBucket(let bucket, let tokens): "QM(bucket \(render(bucket)), tokens \(render(tokens)))"
        case .dma(let request):
            "DMA(\(request.direction == .toHost ? "to host" : "from host") packet[\(render(request.packetOffset))] "
                + "length \(render(request.length)) host \(render(request.hostAddress)))"
        case .drop(let reason): "DROP(\(reason))"
        case .exception(let reason): "EXCEPTION(\(reason))"
        case .reply(let header): "IP_REPLY(up to \(header))"
        case .goToStage(let stage): "GOTO \(stage)"
        case .tableWrite(let table, let key, let action): "\(table)[\(key.map(render).joined(separator: ", "))] = \(action)"
        }
    }
}
