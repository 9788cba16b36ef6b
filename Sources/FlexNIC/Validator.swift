/// Checks a program against the NIC's rules before it is installed (dissertation §3.3.1: bounded
/// stages, no loops, no multiplication or division, no table writes from the data path, bounded DMA
/// requests and stateful memory). The first broken rule is thrown, naming the stage and action.
public struct Validator: Sendable {
    public var limits: NICLimits

    public init(limits: NICLimits = NICLimits()) { self.limits = limits }

    /// Throws the first rule `program` breaks.
    public func validate(_ program: Program) throws(ValidationError) {
        try validateParseGraph(program.parseGraph)
        try validateRegisters(program)
        guard program.stages.count <= limits.maximumStages else {
            throw ValidationError(stage: program.stages[limits.maximumStages].name, rule: .tooManyStages,
                                  detail: "\(program.stages.count) stages, the NIC has \(limits.maximumStages)")
        }
        let layout = SlotLayout(program: program, usedFields: program.referencedFields)
        let fieldLimit = min(limits.maximumPacketFields, NICLimits.packetFieldCeiling)
        guard layout.packetFields.count <= fieldLimit else {
            let ceiling = limits.maximumPacketFields > fieldLimit ? " (the write-back mask has \(NICLimits.packetFieldCeiling) bits)" : ""
            throw ValidationError(rule: .tooManyFields, detail: "\(layout.packetFields.count) packet fields, at most \(fieldLimit)\(ceiling)")
        }
        var dmaRequests = 0
        for (index, stage) in program.stages.enumerated() {
            let context = StageContext(program: program, stageIndex: index, layout: layout)
            try validateStage(stage, context)
            let mostInOneAction = stage.mostDMARequestsInOneAction
            dmaRequests += mostInOneAction
            if dmaRequests > limits.maximumDMARequests, let action = stage.actions.first(where: { $0.dmaRequestCount == mostInOneAction }) {
                throw ValidationError(stage: stage.name, action: action.name, rule: .tooManyDMARequests,
                                      detail: "a packet can reach \(dmaRequests) DMA requests here, at most \(limits.maximumDMARequests)")
            }
        }
    }

    /// What checking one stage needs to know.
    private struct StageContext {
        let program: Program
        let stageIndex: Int
        let layout: SlotLayout
    }

    private func validateParseGraph(_ graph: ParseGraph) throws(ValidationError) {
        func fail(_ detail: String) -> ValidationError { ValidationError(rule: .parseGraph, detail: detail) }
        guard graph.header(named: graph.start) != nil else { throw fail("start header '\(graph.start)' is not declared") }
        for header in graph.headers {
            guard header.length.minimum > 0 else { throw fail("header '\(header.name)' has no length") }
            if case .variable(let field, let unit, let minimum, let maximum) = header.length {
                guard header.fields.contains(where: { $0.name == field }), unit > 0, minimum <= maximum else {
                    throw fail("header '\(header.name)' has a bad length rule")
                }
            }
            for field in header.fields {
                guard (1...8).contains(field.byteWidth), field.bitCount > 0, field.bitShift >= 0,
                      field.bitShift + field.bitCount <= field.byteWidth * 8,
                      field.byteOffset >= 0, field.byteOffset + field.byteWidth <= header.length.minimum else {
                    throw fail("field '\(header.name).\(field.name)' does not fit its header")
                }
            }
            for transition in header.transitions {
                guard graph.header(named: transition.next) != nil, header.fields.contains(where: { $0.name == transition.field }) else {
                    throw fail("header '\(header.name)' has a transition to an unknown header or on an unknown field")
                }
            }
        }
        // Depth-first search for a cycle: each header is parsed at most once per packet.
        var state: [String: Int] = [:]
        func visit(_ name: String) -> Bool {
            if state[name] == 1 { return false }
            if state[name] == 2 { return true }
            state[name] = 1
            for transition in graph.header(named: name)?.transitions ?? [] where !visit(transition.next) { return false }
            state[name] = 2
            return true
        }
        guard visit(graph.start) else { throw fail("the parse graph has a cycle") }
    }

    private func validateRegisters(_ program: Program) throws(ValidationError) {
        var words = 0
        for array in program.registers {
            guard array.size > 0, array.size & (array.size - 1) == 0 else {
                throw ValidationError(rule: .registerMemory, detail: "register array '\(array.name)' has \(array.size) entries, not a power of two")
            }
            words += array.size
        }
        guard words <= limits.maximumRegisterWords else {
            throw ValidationError(rule: .registerMemory, detail: "\(words) registers, the NIC has \(limits.maximumRegisterWords)")
        }
    }

    private func validateStage(_ stage: StageDeclaration, _ context: StageContext) throws(ValidationError) {
        try validateCondition(stage.condition, stage: stage.name, context)
        let actions = stage.actions
        guard actions.count <= limits.maximumActionsPerStage else {
            throw ValidationError(stage: stage.name, rule: .tooManyActions, detail: "\(actions.count) actions, at most \(limits.maximumActionsPerStage)")
        }
        switch stage.body {
        case .table(let table): try validateTable(table, stage: stage.name, context)
        case .action: break
        }
        try validateActions(actions, stage: stage.name, context)
    }

    private func validateCondition(_ condition: StageCondition?, stage: String, _ context: StageContext) throws(ValidationError) {
        guard let condition else { return }
        try checkOperand(condition.left, parameterCount: 0, stage: stage, action: nil, context)
        try checkOperand(condition.right, parameterCount: 0, stage: stage, action: nil, context)
    }

    private func validateActions(_ actions: [ActionDeclaration], stage: String, _ context: StageContext) throws(ValidationError) {
        for action in actions {
            guard action.primitives.count <= limits.maximumPrimitivesPerAction else {
                throw ValidationError(stage: stage, action: action.name, rule: .tooManyPrimitives,
                                      detail: "\(action.primitives.count) primitives, at most \(limits.maximumPrimitivesPerAction)")
            }
            guard action.parameterCount <= limits.maximumParameters else {
                throw ValidationError(stage: stage, action: action.name, rule: .parameterOutOfRange,
                                      detail: "\(action.parameterCount) parameters, at most \(limits.maximumParameters)")
            }
            for primitive in action.primitives {
                try validatePrimitive(primitive, in: action, stage: stage, context)
            }
        }
    }

    private func validateTable(_ table: TableDeclaration, stage: String, _ context: StageContext) throws(ValidationError) {
        func fail(_ detail: String) -> ValidationError { ValidationError(stage: stage, rule: .tableShape, detail: "table '\(table.name)': \(detail)") }
        guard (1...limits.maximumKeys).contains(table.keys.count) else { throw fail("\(table.keys.count) keys") }
        guard table.kind != .longestPrefix || table.keys.count == 1 else { throw fail("longest-prefix match takes one key") }
        guard (1...limits.maximumTableSize).contains(table.size), table.entries.count <= table.size else { throw fail("size \(table.size)") }
        for key in table.keys {
            guard context.layout.slot(of: key) != nil else {
                throw ValidationError(stage: stage, rule: .unknownName, detail: "table '\(table.name)' key '\(key)' is not a field")
            }
        }
        guard let defaultAction = table.actions.first(where: { $0.name == table.defaultAction }),
              defaultAction.parameterCount == table.defaultParameters.count else {
            throw fail("default action '\(table.defaultAction)' is not one of its actions or gets the wrong parameters")
        }
        for entry in table.entries {
            guard let action = table.actions.first(where: { $0.name == entry.action }), action.parameterCount == entry.parameters.count,
                  entry.key.count == table.keys.count, TableLayout.qualifierCount(table.kind, keys: table.keys.count) == entry.qualifier.count else {
                throw fail("an entry for action '\(entry.action)' does not fit the table")
            }
        }
    }

    private func validatePrimitive(_ primitive: Primitive, in action: ActionDeclaration, stage: String, _ context: StageContext) throws(ValidationError) {
        func fail(_ rule: ValidationRule, _ detail: String) -> ValidationError {
            ValidationError(stage: stage, action: action.name, rule: rule, detail: detail)
        }
        for operand in primitive.operands {
            try checkOperand(operand, parameterCount: action.parameterCount, stage: stage, action: action.name, context)
        }
        for destination in primitive.destinations {
            guard SlotLayout.isDeclared(destination, in: context.program) else { throw fail(.unknownName, "no field '\(destination)'") }
            guard context.layout.isWritable(destination) else { throw fail(.readOnlyField, "'\(destination)' cannot be written") }
        }
        try checkPipeline(primitive, context.program.pipeline, fail)
        switch primitive {
        case .binary(let operation, _, _, _) where [.multiply, .divide, .remainder].contains(operation):
            throw fail(.noMultiplicationOrDivision, "'\(operation.rawValue)' needs a multiplier or divider the NIC does not have")
        case .tableWrite(let table, _, _):
            throw fail(.noTableWrites, "writes table '\(table)'; tables change only through the control plane")
        case .goToStage(let target):
            guard let targetIndex = context.program.stages.firstIndex(where: { $0.name == target }) else {
                throw fail(.unknownName, "no stage '\(target)'")
            }
            guard targetIndex > context.stageIndex else { throw fail(.noLoops, "jumps back to stage '\(target)'") }
        case .registerRead(_, let array, let index), .registerWrite(let array, let index, _), .registerAdd(let array, let index, _, _):
            guard let declaration = context.program.registers.first(where: { $0.name == array }) else {
                throw fail(.unknownName, "no register array '\(array)'")
            }
            if case .constant(let constant) = index, constant >= UInt64(declaration.size) {
                throw fail(.registerIndexOutOfBounds, "index \(constant) into '\(array)' of \(declaration.size) registers")
            }
        case .hashFields(let function, _, let fields):
            let bytes = fields.reduce(0) { $0 + context.layout.byteWidth(of: $1) }
            guard bytes <= limits.maximumHashFieldBytes, !fields.isEmpty else { throw fail(.hashShape, "hash over \(bytes) bytes") }
            guard function != .symmetricToeplitz || fields.count == 4 else { throw fail(.hashShape, "symmetric Toeplitz over \(fields.count) fields") }
        case .hashPayload(let function, _, let header, let offset, let length),
             .hashPayloadRange(let function, _, let header, let offset, _, let length):
            guard context.program.parseGraph.header(named: header) != nil else { throw fail(.unknownName, "no header '\(header)'") }
            guard function != .symmetricToeplitz, offset >= 0, length > 0, length <= limits.maximumHashPayloadBytes,
                  function != .toeplitz || length <= limits.maximumHashFieldBytes else {
                throw fail(.hashShape, "\(function.rawValue) over \(length) payload bytes")
            }
        case .reply(let header):
            guard context.program.parseGraph.header(named: header) != nil else { throw fail(.unknownName, "no header '\(header)'") }
            guard context.layout.headerIndex["ethernet"] != nil, context.layout.headerIndex["ipv4"] != nil else {
                throw fail(.replyNeedsIPv4, "the parse graph has no 'ethernet' and 'ipv4' headers")
            }
        default:
            break
        }
    }

    /// Replies exist only on the receive pipeline (they leave on the wire), doorbells issue no DMA and
    /// the DMA pipeline only reads host memory into the frame it assembles.
    private func checkPipeline(_ primitive: Primitive, _ pipeline: PipelineKind,
                               _ fail: (ValidationRule, String) -> ValidationError) throws(ValidationError) {
        switch (primitive, pipeline) {
        case (.reply, .doorbell), (.reply, .dma):
            throw fail(.notOnThisPipeline, "replies only on the receive pipeline, not the \(pipeline) pipeline")
        case (.dma, .doorbell):
            throw fail(.notOnThisPipeline, "the doorbell pipeline issues no DMA requests")
        case (.dma(let request), .dma) where request.direction != .fromHost:
            throw fail(.notOnThisPipeline, "the DMA pipeline only reads host memory (direction from host)")
        default:
            break
        }
    }

    private func checkOperand(_ operand: Operand, parameterCount: Int, stage: String, action: String?, _ context: StageContext) throws(ValidationError) {
        switch operand {
        case .field(let name):
            guard context.layout.slot(of: name) != nil else {
                throw ValidationError(stage: stage, action: action, rule: .unknownName, detail: "no field '\(name)'")
            }
        case .parameter(let index):
            guard index >= 0 && index < parameterCount else {
                throw ValidationError(stage: stage, action: action, rule: .parameterOutOfRange, detail: "parameter \(index) of \(parameterCount)")
            }
        case .constant:
            break
        }
    }
}
