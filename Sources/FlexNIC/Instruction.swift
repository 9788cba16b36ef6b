/// One step of compiled action code. Operands `a`…`d` are integers: field-buffer slots, or (by
/// opcode) a register array, a header, a hash function, a stage or a position in the operand list.
struct Instruction {
    enum Opcode: UInt8 {
        /// values[a] = values[b]
        case copy
        /// values[a] = values[b] ∘ values[c]
        case add, subtract, and, or, xor, shiftLeft, shiftRight
        /// values[a] = ~values[b]
        case not
        /// values[a] = values[b] ⋚ values[c] ? 1 : 0
        case equal, notEqual, less, lessOrEqual, greater, greaterOrEqual
        /// values[a] = values[b] != 0 ? values[c] : values[d]
        case select
        /// swap values[a] and values[b]
        case swap
        /// values[a] = hash b over the d (slot, width) pairs at operands[c...] (b: 0 CRC32C, 1 Toeplitz,
        /// 2 symmetric Toeplitz, 3 and 4 the same two over an IPv4 4-tuple)
        case hashFields
        /// values[a] = hash b over min(values[operands[d + 2]], operands[d + 1]) bytes, operands[d] bytes
        /// after the end of header c
        case hashPayload
        /// values[a] = register array b [values[c]]
        case registerRead
        /// register array a [values[b]] = values[c]
        case registerWrite
        /// register array b [values[c]] += values[d]; values[a] = the new value when a >= 0
        case registerAdd
        /// values[a] = free entries of software queue values[b]
        case queueRoom
        /// reply, truncated after header a
        case reply
        /// continue at stage a
        case goToStage
    }

    var opcode: Opcode
    var a: Int32
    var b: Int32 = 0
    var c: Int32 = 0
    var d: Int32 = 0
}

/// A compiled header of the parse graph.
struct CompiledHeader {
    var fixedLength: Int
    /// The slot of the length field, or -1 for a fixed length.
    var lengthSlot: Int
    var lengthUnit: Int
    var minimumLength: Int
    var maximumLength: Int
    var fieldsStart: Int
    var fieldsCount: Int
    var transitionsStart: Int
    var transitionsCount: Int
    /// Bytes from the header's start within which every field can be read with one 8-byte big-endian
    /// load (its offset + 8); `Int.max / 2` when a field needs the byte-wise path (little-endian).
    var fastExtent: Int
}

/// A packet field with a slot in the field buffer.
struct CompiledField {
    var slot: Int
    /// The field-buffer slot of its header's `valid` flag (`offset` follows it).
    var headerSlot: Int
    var byteOffset: Int
    var byteWidth: Int
    var bitShift: UInt64
    var mask: UInt64
    var littleEndian: Bool
    /// 64 - 8 × byteWidth + bitShift: the shift that leaves the field's bits of an 8-byte big-endian
    /// load at its offset (then masked with `mask`).
    var wideShift: UInt64
}

/// A parse-graph edge: when values[slot] == value, parse header `next`.
struct CompiledTransition {
    var slot: Int
    var value: UInt64
    var next: Int
}

/// A compiled stage: guard, table (or -1) and its actions' code.
struct CompiledStage {
    /// Guard slots and comparison; `conditionLeft` < 0: no guard.
    var conditionLeft: Int
    var conditionRight: Int
    /// The outcomes of comparing left with right that pass the guard: bit 0 less, bit 1 equal, bit 2 greater.
    var conditionMask: UInt8
    var tableIndex: Int
    var keySlots: (Int32, Int32, Int32, Int32)
    /// Actions of the stage at `actions[actionsStart ..< actionsStart + actionsCount]`.
    var actionsStart: Int
    var actionsCount: Int
    var defaultAction: Int
    var defaultParameters: (UInt64, UInt64, UInt64, UInt64)
    /// Whether an action of the stage declares parameters. A stage without a table writes its default
    /// parameters (all 0) into the parameter slots only then; otherwise it leaves them alone.
    var actionsTakeParameters: Bool
}

/// The code of one action.
struct CompiledAction {
    var instructionsStart: Int
    var instructionsCount: Int
}
