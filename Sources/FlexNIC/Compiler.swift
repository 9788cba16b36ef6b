/// A validated program lowered to flat arrays of small structs with integer operands, ready for the
/// `Pipeline` interpreter. Built only by `Compiler.compile`.
struct CompiledProgram {
    var layout: SlotLayout
    var headers: [CompiledHeader] = []
    var fields: [CompiledField] = []
    var transitions: [CompiledTransition] = []
    var startHeader = 0
    var stages: [CompiledStage] = []
    var actions: [CompiledAction] = []
    var instructions: [Instruction] = []
    var operandList: [Int32] = []
    /// Values of the constant slots, which follow the parameter slots.
    var constants: [UInt64] = []
    var tables: [TableDeclaration] = []
    var tableKeyBits: [[Int]] = []
    var registers: [RegisterArrayDeclaration] = []
    var registerBases: [Int] = []
    /// The first of the 4 entry-parameter slots, which follow the per-packet slots.
    var parameterBase: Int { layout.perPacketCount }
    var constantBase: Int { parameterBase + 4 }
    var slotCount: Int { constantBase + constants.count }
}

/// Lowers a program the validator accepted.
enum Compiler {
    /// Validates `program` and compiles it.
    static func compile(_ program: Program, limits: NICLimits) throws(ValidationError) -> CompiledProgram {
        try Validator(limits: limits).validate(program)
        var compiled = CompiledProgram(layout: SlotLayout(program: program, usedFields: program.referencedFields))
        compileParser(program.parseGraph, into: &compiled)
        var base = 0
        for array in program.registers {
            compiled.registers.append(array)
            compiled.registerBases.append(base)
            base += array.size
        }
        var dmaNext = 0
        for stage in program.stages {
            var emitter = ActionEmitter(program: program, compiled: compiled, dmaNext: dmaNext)
            compiled = emitter.emitStage(stage)
            dmaNext = emitter.dmaAfterStage
        }
        return compiled
    }

    private static func compileParser(_ graph: ParseGraph, into compiled: inout CompiledProgram) {
        let layout = compiled.layout
        for (headerIndex, header) in graph.headers.enumerated() {
            var compiledHeader = CompiledHeader(fixedLength: header.length.minimum, lengthSlot: -1, lengthUnit: 1,
                                                minimumLength: header.length.minimum, maximumLength: header.length.minimum,
                                                fieldsStart: compiled.fields.count, fieldsCount: 0,
                                                transitionsStart: compiled.transitions.count, transitionsCount: header.transitions.count,
                                                fastExtent: 0)
            if case .variable(let field, let unit, let minimum, let maximum) = header.length {
                compiledHeader.lengthSlot = layout.slot(of: "\(header.name).\(field)") ?? -1
                compiledHeader.lengthUnit = unit
                compiledHeader.minimumLength = minimum
                compiledHeader.maximumLength = maximum
            }
            for field in header.fields {
                guard let slot = layout.slot(of: "\(header.name).\(field.name)"), slot < layout.headerSlotsBase,
                      layout.packetFields[slot].headerIndex == headerIndex else { continue }
                compiled.fields.append(CompiledField(
                    slot: slot, headerSlot: layout.headerSlotsBase + headerIndex * SlotLayout.headerSlotsPerHeader,
                    byteOffset: field.byteOffset, byteWidth: field.byteWidth,
                    bitShift: UInt64(field.bitShift), mask: field.bitCount == 64 ? .max : (1 << UInt64(field.bitCount)) - 1,
                    littleEndian: field.byteOrder == .littleEndian, wideShift: UInt64(64 - field.byteWidth * 8 + field.bitShift)))
                compiledHeader.fieldsCount += 1
                compiledHeader.fastExtent = max(compiledHeader.fastExtent,
                                                field.byteOrder == .littleEndian ? Int.max / 2 : field.byteOffset + 8)
            }
            for transition in header.transitions {
                compiled.transitions.append(CompiledTransition(
                    slot: layout.slot(of: "\(header.name).\(transition.field)") ?? 0, value: transition.value,
                    next: layout.headerIndex[transition.next] ?? -1))
            }
            compiled.headers.append(compiledHeader)
        }
        compiled.startHeader = layout.headerIndex[graph.start] ?? 0
    }
}
