/// Emits the code of one stage's actions into a `CompiledProgram` (part of `Compiler`).
///
/// DMA requests get fixed metadata slots: each stage's requests start after the most any earlier
/// stage's action could issue, so no counter is kept per packet.
struct ActionEmitter {
    let program: Program
    var compiled: CompiledProgram
    let dmaStageBase: Int
    private(set) var dmaAfterStage: Int

    init(program: Program, compiled: CompiledProgram, dmaNext: Int) {
        self.program = program
        self.compiled = compiled
        dmaStageBase = dmaNext
        dmaAfterStage = dmaNext
    }

    /// Appends the stage, its table and its actions; returns the program so far.
    mutating func emitStage(_ stage: StageDeclaration) -> CompiledProgram {
        var compiledStage = CompiledStage(conditionLeft: -1, conditionRight: -1, conditionMask: 0, tableIndex: -1,
                                          keySlots: (0, 0, 0, 0), actionsStart: compiled.actions.count,
                                          actionsCount: stage.actions.count, defaultAction: 0, defaultParameters: (0, 0, 0, 0),
                                          actionsTakeParameters: stage.actions.contains { $0.parameterCount > 0 })
        if let condition = stage.condition {
            compiledStage.conditionLeft = Int(slot(condition.left))
            compiledStage.conditionRight = Int(slot(condition.right))
            compiledStage.conditionMask = Self.outcomeMask(condition.comparison)
        }
        if case .table(let table) = stage.body {
            compiledStage.tableIndex = compiled.tables.count
            compiled.tables.append(table)
            let keys = table.keys.map { Int32(compiled.layout.slot(of: $0) ?? 0) }
            compiledStage.keySlots = (keys[0], keys.count > 1 ? keys[1] : 0, keys.count > 2 ? keys[2] : 0, keys.count > 3 ? keys[3] : 0)
            compiled.tableKeyBits.append(table.keys.map(bitWidth))
            compiledStage.defaultAction = table.actions.firstIndex { $0.name == table.defaultAction } ?? 0
            let parameters = table.defaultParameters + [0, 0, 0, 0]
            compiledStage.defaultParameters = (parameters[0], parameters[1], parameters[2], parameters[3])
        }
        for action in stage.actions {
            let start = compiled.instructions.count
            var dmaIndex = dmaStageBase
            for primitive in action.primitives { emit(primitive, dmaIndex: &dmaIndex) }
            dmaAfterStage = max(dmaAfterStage, dmaIndex)
            compiled.actions.append(CompiledAction(instructionsStart: start, instructionsCount: compiled.instructions.count - start))
        }
        compiled.stages.append(compiledStage)
        return compiled
    }

    /// The bit width of a key field (64 for non-packet fields).
    private func bitWidth(_ name: String) -> Int {
        guard let slot = compiled.layout.slot(of: name), slot < compiled.layout.headerSlotsBase else { return 64 }
        return compiled.layout.packetFields[slot].declaration.bitCount
    }

    /// The slot holding an operand's value (constants are pooled).
    private mutating func slot(_ operand: Operand) -> Int32 {
        switch operand {
        case .field(let name):
            return Int32(compiled.layout.slot(of: name) ?? 0)
        case .parameter(let index):
            return Int32(compiled.parameterBase + index)
        case .constant(let value):
            if let index = compiled.constants.firstIndex(of: value) { return Int32(compiled.constantBase + index) }
            compiled.constants.append(value)
            return Int32(compiled.constantBase + compiled.constants.count - 1)
        }
    }

    private mutating func slot(_ name: String) -> Int32 { slot(.field(name)) }

    private mutating func append(_ opcode: Instruction.Opcode, _ a: Int32, _ b: Int32 = 0, _ c: Int32 = 0, _ d: Int32 = 0) {
        compiled.instructions.append(Instruction(opcode: opcode, a: a, b: b, c: c, d: d))
    }

    static func opcode(_ comparison: Comparison) -> Instruction.Opcode {
        switch comparison {
        case .equal: .equal
        case .notEqual: .notEqual
        case .less: .less
        case .lessOrEqual: .lessOrEqual
        case .greater: .greater
        case .greaterOrEqual: .greaterOrEqual
        }
    }

    /// The comparison as the set of outcomes that satisfy it (see `CompiledStage.conditionMask`).
    static func outcomeMask(_ comparison: Comparison) -> UInt8 {
        switch comparison {
        case .equal: 0b010
        case .notEqual: 0b101
        case .less: 0b001
        case .lessOrEqual: 0b011
        case .greater: 0b100
        case .greaterOrEqual: 0b110
        }
    }

    private static func opcode(_ operation: BinaryOperation) -> Instruction.Opcode {
        switch operation {
        case .add: .add
        case .subtract: .subtract
        case .and: .and
        case .or: .or
        case .xor: .xor
        case .shiftLeft: .shiftLeft
        case .shiftRight: .shiftRight
        // Rejected by the validator before compilation.
        case .multiply, .divide, .remainder: preconditionFailure("the validator rejects \(operation)")
        }
    }

    private static func hashCode(_ function: HashFunction) -> Int32 {
        switch function {
        case .crc32c: 0
        case .toeplitz: 1
        case .symmetricToeplitz: 2
        }
    }

    /// Hash codes of (symmetric) Toeplitz over fields 4, 4, 2 and 2 bytes wide (an IPv4 4-tuple), which
    /// the pipeline hashes without a loop.
    static let fourTupleHashCode: Int32 = 3
    static let symmetricFourTupleHashCode: Int32 = 4

    private func registerArray(_ name: String) -> Int32 { Int32(program.registers.firstIndex { $0.name == name } ?? 0) }

    /// A payload hash: operands `[offset, maximum, length slot]` in the operand list.
    private mutating func emitHashPayload(_ function: HashFunction, _ destination: String, after header: String, offset: Int,
                                          length: Operand, maximum: Int) {
        let lengthSlot = slot(length)
        let start = Int32(compiled.operandList.count)
        compiled.operandList.append(contentsOf: [Int32(offset), Int32(maximum), lengthSlot])
        append(.hashPayload, slot(destination), Self.hashCode(function), Int32(compiled.layout.headerIndex[header] ?? 0), start)
    }

    private mutating func emit(_ primitive: Primitive, dmaIndex: inout Int) {
        switch primitive {
        case .set(let destination, let value):
            append(.copy, slot(destination), slot(value))
        case .binary(let operation, let destination, let left, let right):
            append(Self.opcode(operation), slot(destination), slot(left), slot(right))
        case .not(let destination, let value):
            append(.not, slot(destination), slot(value))
        case .compare(let comparison, let destination, let left, let right):
            append(Self.opcode(comparison), slot(destination), slot(left), slot(right))
        case .select(let destination, let condition, let whenTrue, let whenFalse):
            append(.select, slot(destination), slot(condition), slot(whenTrue), slot(whenFalse))
        case .swap(let left, let right):
            append(.swap, slot(left), slot(right))
        case .hashFields(let function, let destination, let fields):
            let start = Int32(compiled.operandList.count)
            for field in fields {
                compiled.operandList.append(slot(field))
                compiled.operandList.append(Int32(compiled.layout.byteWidth(of: field)))
            }
            var code = Self.hashCode(function)
            if function != .crc32c, fields.map({ compiled.layout.byteWidth(of: $0) }) == [4, 4, 2, 2] {
                code = function == .toeplitz ? Self.fourTupleHashCode : Self.symmetricFourTupleHashCode
            }
            append(.hashFields, slot(destination), code, start, Int32(fields.count))
        case .hashPayload(let function, let destination, let header, let offset, let length):
            emitHashPayload(function, destination, after: header, offset: offset, length: .constant(UInt64(length)), maximum: length)
        case .hashPayloadRange(let function, let destination, let header, let offset, let length, let maximum):
            emitHashPayload(function, destination, after: header, offset: offset, length: length, maximum: maximum)
        case .registerRead(let destination, let array, let index):
            append(.registerRead, slot(destination), registerArray(array), slot(index))
        case .registerWrite(let array, let index, let value):
            append(.registerWrite, registerArray(array), slot(index), slot(value))
        case .registerAdd(let array, let index, let value, let result):
            append(.registerAdd, result.map { slot($0) } ?? -1, registerArray(array), slot(index), slot(value))
        case .queueRoom(let destination, let queue):
            append(.queueRoom, slot(destination), slot(queue))
        case .setQueue(let queue):
            append(.copy, slot(Metadata.queue), slot(queue))
        case .setBucket(let bucket, let tokens):
            append(.copy, slot(Metadata.bucket), slot(bucket))
            append(.copy, slot(Metadata.tokens), slot(tokens))
        case .dma(let request):
            let base = Int32(compiled.layout.dmaBase + dmaIndex * SlotLayout.dmaSlotsPerRequest)
            append(.copy, base, slot(request.packetOffset))
            append(.copy, base + 1, slot(request.length))
            append(.copy, base + 2, slot(.constant(request.direction.rawValue)))
            append(.copy, base + 3, slot(request.hostAddress))
            dmaIndex += 1
        case .drop(let reason):
            append(.copy, slot(Metadata.drop), slot(.constant(UInt64(reason) + 1)))
        case .exception(let reason):
            append(.copy, slot(Metadata.exception), slot(.constant(UInt64(reason) + 1)))
        case .reply(let header):
            append(.reply, Int32(compiled.layout.headerIndex[header] ?? 0))
        case .goToStage(let name):
            append(.goToStage, Int32(program.stages.firstIndex { $0.name == name } ?? program.stages.count))
        case .tableWrite:
            preconditionFailure("the validator rejects table writes")
        }
    }
}
