import FlexWire

/// One RMT pipeline running a compiled program: parser, match+action stages and deparser over a
/// frame in memory.
///
/// Contract:
/// - `process` parses the frame, runs the stages and writes changed fields back; it never allocates,
///   and dispatches on one small instruction enum. Field writes go into the packet, except when an
///   action replies: then they go into the reply (built in `reply`, valid until the next call) and
///   the packet keeps its received bytes.
/// - Control-plane calls (`insertEntry`, `removeEntry`, `writeRegister`, `setQueueRoom`) may be made
///   between packets while traffic runs, from the thread that calls `process`: one thread owns a
///   pipeline (the slow path of the one-thread runtime, or a command queue drained between batches).
public final class Pipeline {
    public let program: Program
    let compiled: CompiledProgram
    let values: UnsafeMutablePointer<UInt64>
    private let headers: UnsafeMutablePointer<CompiledHeader>
    let fields: UnsafeMutablePointer<CompiledField>
    private let transitions: UnsafeMutablePointer<CompiledTransition>
    private let stages: UnsafeMutablePointer<CompiledStage>
    private let actions: UnsafeMutablePointer<CompiledAction>
    private let instructions: UnsafeMutablePointer<Instruction>
    private let operandList: UnsafeMutablePointer<Int32>
    let registerBases: UnsafeMutablePointer<Int>
    private let registerMasks: UnsafeMutablePointer<UInt64>
    let registers: UnsafeMutablePointer<UInt64>
    private let registerCount: Int
    let tables: [MatchTable]
    private let tablePointers: UnsafeMutablePointer<Unmanaged<MatchTable>>
    /// How often each action ran (indexed like `compiled.actions`).
    let actionHits: UnsafeMutablePointer<UInt64>
    let queueRooms: UnsafeMutablePointer<Int>
    public let queueCount: Int
    private let hashScratch: UnsafeMutableRawPointer
    let replyBuffer: UnsafeMutableRawPointer
    private let toeplitzTable = Toeplitz.table
    public static let replyCapacity = 2_048
    var dirty: UInt64 = 0
    // Layout facts read per packet, cached as plain integers.
    let headerSlotsBase: Int
    private let perPacketCount: Int
    private let metadataBase: Int
    private let packetLengthSlot: Int
    private let parameterBase: Int
    private let stageCount: Int
    private let headerCount: Int
    private let startHeader: Int
    /// Header indices of `ethernet` and `ipv4` (-1 when the graph has none), for replies.
    let ethernetHeader: Int
    let ipv4Header: Int
    private var currentFrame: UnsafeMutableRawPointer?

    /// Validates and compiles `program` and installs its table entries; `queueCount` software queues
    /// can be targets of `queueRoom`.
    public init(program: Program, limits: NICLimits = NICLimits(), queueCount: Int = 0) throws(ValidationError) {
        self.program = program
        compiled = try Compiler.compile(program, limits: limits)
        headerSlotsBase = compiled.layout.headerSlotsBase
        perPacketCount = compiled.layout.perPacketCount
        metadataBase = compiled.layout.metadataBase
        packetLengthSlot = compiled.layout.packetLengthSlot
        parameterBase = compiled.parameterBase
        stageCount = compiled.stages.count
        headerCount = compiled.headers.count
        startHeader = compiled.startHeader
        ethernetHeader = compiled.layout.headerIndex["ethernet"] ?? -1
        ipv4Header = compiled.layout.headerIndex["ipv4"] ?? -1
        values = .allocate(capacity: compiled.slotCount)
        values.initialize(repeating: 0, count: compiled.slotCount)
        for (index, constant) in compiled.constants.enumerated() { values[compiled.constantBase + index] = constant }
        headers = Self.copy(compiled.headers)
        fields = Self.copy(compiled.fields)
        transitions = Self.copy(compiled.transitions)
        stages = Self.copy(compiled.stages)
        actions = Self.copy(compiled.actions)
        instructions = Self.copy(compiled.instructions)
        operandList = Self.copy(compiled.operandList)
        registerBases = Self.copy(compiled.registerBases)
        actionHits = .allocate(capacity: max(compiled.actions.count, 1))
        actionHits.initialize(repeating: 0, count: max(compiled.actions.count, 1))
        registerMasks = Self.copy(compiled.registers.map { UInt64($0.size - 1) })
        registerCount = compiled.registers.reduce(0) { $0 + $1.size }
        registers = .allocate(capacity: max(registerCount, 1))
        registers.initialize(repeating: 0, count: max(registerCount, 1))
        tables = zip(compiled.tables, compiled.tableKeyBits).map { MatchTable(name: $0.name, kind: $0.kind, keyBits: $1, size: $0.size) }
        tablePointers = Self.copy(tables.map { Unmanaged.passUnretained($0) })
        self.queueCount = queueCount
        queueRooms = .allocate(capacity: max(queueCount, 1))
        queueRooms.initialize(repeating: 0, count: max(queueCount, 1))
        // Room for the most field bytes one hash may cover, plus one 8-byte store past them.
        hashScratch = .allocate(byteCount: max(limits.maximumHashFieldBytes, 0) + 8, alignment: 8)
        replyBuffer = .allocate(byteCount: Self.replyCapacity, alignment: 8)
        replyBuffer.initializeMemory(as: UInt8.self, repeating: 0, count: Self.replyCapacity)
        for table in compiled.tables {
            for entry in table.entries {
                do throws(TableUpdateError) {
                    try insertEntry(table: table.name, key: entry.key, qualifier: entry.qualifier, priority: entry.priority,
                                    action: entry.action, parameters: entry.parameters)
                } catch {
                    preconditionFailure("the validator checked the program's entries: \(error)")
                }
            }
        }
    }

    deinit {
        values.deallocate(); headers.deallocate(); fields.deallocate(); transitions.deallocate(); stages.deallocate()
        actions.deallocate(); instructions.deallocate(); operandList.deallocate(); registerBases.deallocate(); actionHits.deallocate()
        registerMasks.deallocate(); registers.deallocate(); tablePointers.deallocate(); queueRooms.deallocate()
        hashScratch.deallocate(); replyBuffer.deallocate()
    }

    private static func copy<Element>(_ array: [Element]) -> UnsafeMutablePointer<Element> {
        let pointer = UnsafeMutablePointer<Element>.allocate(capacity: max(array.count, 1))
        array.withUnsafeBufferPointer { if let base = $0.baseAddress { pointer.initialize(from: base, count: array.count) } }
        return pointer
    }

    /// The last reply's bytes (valid until the next `process`).
    public func reply(length: Int) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: replyBuffer, count: length) }

    /// The value of a named field after the last packet (for tests and tools), nil if it has no slot.
    public func fieldValue(_ name: String) -> UInt64? { compiled.layout.slot(of: name).map { values[$0] } }

    /// How many DMA requests a packet of this program can issue.
    public var dmaRequestCapacity: Int { compiled.layout.dmaRequestCapacity }

    /// DMA request `index` of the last packet: nil when it issued none in that slot (length 0).
    public func dmaRequest(_ index: Int) -> (packetOffset: Int, length: Int, direction: DMADirection, hostAddress: UInt64)? {
        guard index >= 0 && index < compiled.layout.dmaRequestCapacity else { return nil }
        let base = compiled.layout.dmaBase + index * SlotLayout.dmaSlotsPerRequest
        guard values[base + 1] > 0 else { return nil }
        return (Int(truncatingIfNeeded: values[base]), Int(truncatingIfNeeded: values[base + 1]),
                DMADirection(rawValue: values[base + 2]) ?? .toHost, values[base + 3])
    }

    // MARK: Data path

    /// Runs the program over the `length` bytes at `frame` and returns the verdict.
    public func process(_ frame: UnsafeMutableRawPointer, length: Int) -> PacketVerdict {
        values.update(repeating: 0, count: perPacketCount)
        values[metadataBase] = Metadata.noQueue
        values[packetLengthSlot] = UInt64(length)
        dirty = 0
        currentFrame = frame
        guard parse(frame, length: length) else {
            return PacketVerdict(disposition: .exception(reason: PacketVerdict.parseErrorReason), replyLength: 0,
                                 descriptor: 0, bucket: 0, tokens: 0)
        }
        let replyHeader = runStages()
        var replyLength = 0
        if replyHeader >= 0 {
            replyLength = craftReply(from: frame, length: length, truncatingAfter: replyHeader)
        } else if dirty != 0 {
            writeBack(into: frame, length: length, extent: length)
        }
        let base = metadataBase
        let disposition: PacketVerdict.Disposition
        if values[base + 1] != 0 {
            disposition = .drop(reason: UInt8(truncatingIfNeeded: values[base + 1] &- 1))
        } else if values[base + 2] != 0 {
            disposition = .exception(reason: UInt8(truncatingIfNeeded: values[base + 2] &- 1))
        } else if values[base] == Metadata.noQueue {
            disposition = .pass
        } else {
            disposition = .queue(Int(truncatingIfNeeded: values[base]))
        }
        return PacketVerdict(disposition: disposition, replyLength: replyLength,
                             descriptor: UInt32(truncatingIfNeeded: values[base + 3]), bucket: values[base + 4], tokens: values[base + 5])
    }

    /// Extracts the used fields of every header on the parse path; false on a parse error.
    @inline(__always)
    private func parse(_ frame: UnsafeMutableRawPointer, length: Int) -> Bool {
        let headerSlots = headerSlotsBase
        var header = startHeader
        var offset = 0
        var remainingHeaders = headerCount
        while header >= 0 && remainingHeaders > 0 {
            remainingHeaders &-= 1
            let description = headers + header
            guard offset &+ description.pointee.minimumLength <= length else { return false }
            var field = fields + description.pointee.fieldsStart
            let fieldsEnd = field + description.pointee.fieldsCount
            if offset &+ description.pointee.fastExtent <= length {
                // Every field of the header: one 8-byte big-endian load, one shift, one mask.
                let start = frame + offset
                while field < fieldsEnd {
                    let raw = UInt64(bigEndian: (start + field.pointee.byteOffset).loadUnaligned(as: UInt64.self))
                    values[field.pointee.slot] = (raw &>> field.pointee.wideShift) & field.pointee.mask
                    field += 1
                }
            } else {
                while field < fieldsEnd {
                    let raw = Self.load(frame + (offset &+ field.pointee.byteOffset), width: field.pointee.byteWidth,
                                        littleEndian: field.pointee.littleEndian)
                    values[field.pointee.slot] = (raw &>> field.pointee.bitShift) & field.pointee.mask
                    field += 1
                }
            }
            var headerLength = description.pointee.fixedLength
            let lengthSlot = description.pointee.lengthSlot
            if lengthSlot >= 0 {
                headerLength = Int(truncatingIfNeeded: values[lengthSlot]) &* description.pointee.lengthUnit
                guard headerLength >= description.pointee.minimumLength, headerLength <= description.pointee.maximumLength,
                      offset &+ headerLength <= length else { return false }
            }
            let slots = headerSlots &+ header &* SlotLayout.headerSlotsPerHeader
            values[slots] = 1
            values[slots &+ 1] = UInt64(truncatingIfNeeded: offset)
            values[slots &+ 2] = UInt64(truncatingIfNeeded: headerLength)
            offset &+= headerLength
            var next = -1
            var index = description.pointee.transitionsStart
            let end = index &+ description.pointee.transitionsCount
            while index < end {
                let transition = transitions + index
                if values[transition.pointee.slot] == transition.pointee.value {
                    next = transition.pointee.next
                    break
                }
                index &+= 1
            }
            header = next
        }
        return true
    }

    @inline(__always)
    static func load(_ pointer: UnsafeRawPointer, width: Int, littleEndian: Bool) -> UInt64 {
        var value: UInt64
        switch width {
        case 1: return UInt64(pointer.load(as: UInt8.self))
        case 2: value = UInt64(UInt16(bigEndian: pointer.loadUnaligned(as: UInt16.self)))
        case 4: value = UInt64(UInt32(bigEndian: pointer.loadUnaligned(as: UInt32.self)))
        case 8: value = UInt64(bigEndian: pointer.loadUnaligned(as: UInt64.self))
        default:
            // 3, 5, 6 or 7 bytes: a 4-byte, a 2-byte and a 1-byte load as needed, most significant first.
            value = 0
            var offset = 0
            if width >= 4 {
                value = UInt64(UInt32(bigEndian: pointer.loadUnaligned(as: UInt32.self)))
                offset = 4
            }
            if width &- offset >= 2 {
                value = value << 16 | UInt64(UInt16(bigEndian: pointer.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
                offset &+= 2
            }
            if width > offset { value = value << 8 | UInt64(pointer.load(fromByteOffset: offset, as: UInt8.self)) }
        }
        return littleEndian ? value.byteSwapped >> UInt64(64 - width * 8) : value
    }

    @inline(__always)
    static func store(_ value: UInt64, to pointer: UnsafeMutableRawPointer, width: Int, littleEndian: Bool) {
        let wire = littleEndian ? value.byteSwapped >> UInt64(64 - width * 8) : value
        switch width {
        case 1: pointer.storeBytes(of: UInt8(truncatingIfNeeded: wire), as: UInt8.self); return
        case 2: pointer.storeBytes(of: UInt16(truncatingIfNeeded: wire).bigEndian, as: UInt16.self); return
        case 4: pointer.storeBytes(of: UInt32(truncatingIfNeeded: wire).bigEndian, as: UInt32.self); return
        case 8: pointer.storeBytes(of: wire.bigEndian, as: UInt64.self); return
        default: break
        }
        // 3, 5, 6 or 7 bytes, as in `load`.
        var offset = 0
        if width >= 4 {
            pointer.storeBytes(of: UInt32(truncatingIfNeeded: wire >> UInt64((width &- 4) &* 8)).bigEndian, as: UInt32.self)
            offset = 4
        }
        if width &- offset >= 2 {
            pointer.storeBytes(of: UInt16(truncatingIfNeeded: wire >> UInt64((width &- offset &- 2) &* 8)).bigEndian,
                               toByteOffset: offset, as: UInt16.self)
            offset &+= 2
        }
        if width > offset { pointer.storeBytes(of: UInt8(truncatingIfNeeded: wire), toByteOffset: offset, as: UInt8.self) }
    }

    /// Runs the stages; returns the header a reply is truncated after, or -1 for no reply.
    @inline(__always)
    private func runStages() -> Int {
        var replyHeader = -1
        var stageIndex = 0
        while stageIndex < stageCount {
            let stage = stages + stageIndex
            stageIndex &+= 1
            let conditionLeft = stage.pointee.conditionLeft
            if conditionLeft >= 0 {
                let left = values[conditionLeft], right = values[stage.pointee.conditionRight]
                let outcome: UInt8 = left < right ? 0b001 : (left == right ? 0b010 : 0b100)
                if stage.pointee.conditionMask & outcome == 0 { continue }
            }
            var action = stage.pointee.defaultAction
            let tableIndex = stage.pointee.tableIndex
            if tableIndex >= 0 {
                // Guaranteed reference: the pipeline keeps its tables alive, so no retain per packet.
                let entry = tablePointers[tableIndex]._withUnsafeGuaranteedRef { table in
                    let index = table.lookup(values: values, keySlots: stage.pointee.keySlots)
                    return index >= 0 ? table.entry(index) : nil
                }
                if let entry {
                    action = Int(truncatingIfNeeded: entry[TableLayout.actionWord])
                    let words = entry + TableLayout.parameterWord
                    let parameters = values + parameterBase
                    parameters[0] = words[0]
                    parameters[1] = words[1]
                    parameters[2] = words[2]
                    parameters[3] = words[3]
                } else {
                    writeDefaultParameters(of: stage)
                }
            } else if stage.pointee.actionsTakeParameters {
                writeDefaultParameters(of: stage)
            }
            let actionIndex = stage.pointee.actionsStart &+ action
            actionHits[actionIndex] &+= 1
            let code = actions + actionIndex
            let jump = execute(from: code.pointee.instructionsStart, count: code.pointee.instructionsCount, replyHeader: &replyHeader)
            if jump >= 0 { stageIndex = jump }
        }
        return replyHeader
    }

    /// Puts the stage's default parameters into the parameter slots.
    @inline(__always)
    private func writeDefaultParameters(of stage: UnsafeMutablePointer<CompiledStage>) {
        let parameters = values + parameterBase
        parameters[0] = stage.pointee.defaultParameters.0
        parameters[1] = stage.pointee.defaultParameters.1
        parameters[2] = stage.pointee.defaultParameters.2
        parameters[3] = stage.pointee.defaultParameters.3
    }

    @inline(__always)
    private func compare(_ opcode: Instruction.Opcode, _ left: UInt64, _ right: UInt64) -> UInt64 {
        switch opcode {
        case .equal: left == right ? 1 : 0
        case .notEqual: left != right ? 1 : 0
        case .less: left < right ? 1 : 0
        case .lessOrEqual: left <= right ? 1 : 0
        case .greater: left > right ? 1 : 0
        default: left >= right ? 1 : 0
        }
    }

    @inline(__always)
    private func write(_ slot: Int32, _ value: UInt64) {
        let index = Int(slot)
        values[index] = value
        // Only packet fields (the first slots, at most 64) are written back.
        if index < headerSlotsBase { dirty |= 1 &<< UInt64(truncatingIfNeeded: index) }
    }

    /// Interprets one action's instructions; returns the stage to jump to, or -1.
    @inline(__always)
    private func execute(from start: Int, count: Int, replyHeader: inout Int) -> Int {
        var jump = -1
        var pointer = instructions + start
        let end = pointer + count
        while pointer < end {
            let instruction = pointer.pointee
            pointer += 1
            let b = values[Int(instruction.b)]
            switch instruction.opcode {
            case .copy: write(instruction.a, b)
            case .add: write(instruction.a, b &+ values[Int(instruction.c)])
            case .subtract: write(instruction.a, b &- values[Int(instruction.c)])
            case .and: write(instruction.a, b & values[Int(instruction.c)])
            case .or: write(instruction.a, b | values[Int(instruction.c)])
            case .xor: write(instruction.a, b ^ values[Int(instruction.c)])
            case .shiftLeft: write(instruction.a, b &<< values[Int(instruction.c)])
            case .shiftRight: write(instruction.a, b &>> values[Int(instruction.c)])
            case .not: write(instruction.a, ~b)
            case .equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual:
                write(instruction.a, compare(instruction.opcode, b, values[Int(instruction.c)]))
            case .select: write(instruction.a, b != 0 ? values[Int(instruction.c)] : values[Int(instruction.d)])
            case .swap:
                let a = values[Int(instruction.a)]
                write(instruction.a, b)
                write(instruction.b, a)
            case .hashFields: write(instruction.a, hashFields(instruction))
            case .hashPayload: write(instruction.a, hashPayload(instruction))
            case .registerRead:
                let array = Int(instruction.b)
                write(instruction.a, registers[registerBases[array] &+ Int(truncatingIfNeeded: values[Int(instruction.c)] & registerMasks[array])])
            case .registerWrite:
                let array = Int(instruction.a)
                registers[registerBases[array] &+ Int(truncatingIfNeeded: b & registerMasks[array])] = values[Int(instruction.c)]
            case .registerAdd:
                let array = Int(instruction.b)
                let slot = registerBases[array] &+ Int(truncatingIfNeeded: values[Int(instruction.c)] & registerMasks[array])
                registers[slot] &+= values[Int(instruction.d)]
                if instruction.a >= 0 { write(instruction.a, registers[slot]) }
            case .queueRoom:
                write(instruction.a, b < UInt64(queueCount) ? UInt64(max(queueRooms[Int(b)], 0)) : 0)
            case .reply: replyHeader = Int(instruction.a)
            case .goToStage: jump = Int(instruction.a)
            }
        }
        return jump
    }

    /// A hash of fields (in network order, each its byte width). Toeplitz reads the field values
    /// directly (one table load per byte); CRC32C hashes them laid out in `hashScratch`.
    @inline(__always)
    private func hashFields(_ instruction: Instruction) -> UInt64 {
        let list = operandList + Int(instruction.c)
        let count = Int(instruction.d)
        let function = instruction.b
        if function >= ActionEmitter.fourTupleHashCode {
            // An IPv4 4-tuple (widths 4, 4, 2, 2): twelve table loads, no loop.
            let first = values[Int(list[0])], second = values[Int(list[2])]
            let third = values[Int(list[4])], fourth = values[Int(list[6])]
            if function == ActionEmitter.fourTupleHashCode { return toeplitzFourTuple(first, second, third, fourth) }
            return toeplitzFourTuple(min(first, second), max(first, second), min(third, fourth), max(third, fourth))
        }
        if function == 2 {
            // Symmetric: each of the address pair and the port pair in increasing order.
            let first = values[Int(list[0])], second = values[Int(list[2])]
            let third = values[Int(list[4])], fourth = values[Int(list[6])]
            var position = 0
            var result: UInt32 = 0
            toeplitz(min(first, second), width: list[1], at: &position, into: &result)
            toeplitz(max(first, second), width: list[3], at: &position, into: &result)
            toeplitz(min(third, fourth), width: list[5], at: &position, into: &result)
            toeplitz(max(third, fourth), width: list[7], at: &position, into: &result)
            return UInt64(result)
        }
        var position = 0
        var index = 0
        if function == 1 {
            var result: UInt32 = 0
            while index < count {
                toeplitz(values[Int(list[index &* 2])], width: list[index &* 2 &+ 1], at: &position, into: &result)
                index &+= 1
            }
            return UInt64(result)
        }
        while index < count {
            // Big-endian, left-aligned in 8 bytes: the field's bytes first (the scratch has room past the end).
            let width = Int(list[index &* 2 &+ 1])
            let value = values[Int(list[index &* 2])] &<< UInt64(truncatingIfNeeded: 64 &- width &* 8)
            (hashScratch + position).storeBytes(of: value.bigEndian, as: UInt64.self)
            position &+= width
            index &+= 1
        }
        return UInt64(CRC32C.checksum(hashScratch, count: position))
    }

    /// The Toeplitz hash of two 4-byte and two 2-byte values (their low bytes), input bytes 0 … 11.
    @inline(__always)
    private func toeplitzFourTuple(_ first: UInt64, _ second: UInt64, _ third: UInt64, _ fourth: UInt64) -> UInt64 {
        let table = toeplitzTable
        @inline(__always) func byte(_ value: UInt64, _ shift: UInt64, at position: Int) -> UInt32 {
            table[position &* 256 &+ Int(truncatingIfNeeded: (value &>> shift) & 0xff)]
        }
        var result = byte(first, 24, at: 0) ^ byte(first, 16, at: 1) ^ byte(first, 8, at: 2) ^ byte(first, 0, at: 3)
        result ^= byte(second, 24, at: 4) ^ byte(second, 16, at: 5) ^ byte(second, 8, at: 6) ^ byte(second, 0, at: 7)
        result ^= byte(third, 8, at: 8) ^ byte(third, 0, at: 9) ^ byte(fourth, 8, at: 10) ^ byte(fourth, 0, at: 11)
        return UInt64(result)
    }

    /// XORs into `result` the Toeplitz contribution of a field's `width` (1 … 8) bytes, most
    /// significant first, at input byte `position`; bytes past `Toeplitz.maximumInputBytes` contribute nothing.
    @inline(__always)
    private func toeplitz(_ value: UInt64, width: Int32, at position: inout Int, into result: inout UInt32) {
        let fieldBytes = Int(width)
        var remaining = min(fieldBytes, max(Toeplitz.maximumInputBytes &- position, 0))
        var shifted = value &<< UInt64(truncatingIfNeeded: 64 &- fieldBytes &* 8)
        var row = toeplitzTable + position &* 256
        while remaining > 0 {
            result ^= row[Int(truncatingIfNeeded: shifted &>> 56)]
            shifted &<<= 8
            row += 256
            remaining &-= 1
        }
        position &+= fieldBytes
    }

    @inline(__always)
    private func hash(function: Int32, _ bytes: UnsafeRawPointer, count: Int) -> UInt64 {
        function == 0 ? UInt64(CRC32C.checksum(bytes, count: count)) : UInt64(Toeplitz.hash(bytes, count: count, table: toeplitzTable))
    }

    /// A hash over a bounded payload range after a header (its length from a slot, at most the
    /// maximum, clipped at the packet's end); 0 when the header is absent.
    private func hashPayload(_ instruction: Instruction) -> UInt64 {
        let operands = operandList + Int(instruction.d)
        let length = min(values[Int(operands[2])], UInt64(operands[1]))
        return currentFrameHash(header: Int(instruction.c), offset: Int(operands[0]), length: Int(truncatingIfNeeded: length),
                                function: instruction.b)
    }

    private func currentFrameHash(header: Int, offset: Int, length: Int, function: Int32) -> UInt64 {
        let slots = headerSlotsBase &+ header &* SlotLayout.headerSlotsPerHeader
        guard values[slots] != 0, let frame = currentFrame else { return 0 }
        let packetLength = Int(truncatingIfNeeded: values[packetLengthSlot])
        let start = Int(truncatingIfNeeded: values[slots &+ 1] &+ values[slots &+ 2]) &+ offset
        let end = min(start &+ length, packetLength)
        guard start < end else { return hash(function: function, hashScratch, count: 0) }
        return hash(function: function, frame + start, count: end &- start)
    }
}
