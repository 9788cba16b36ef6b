/// Why the control plane could not read or write a register.
public enum RegisterAccessError: Error, Equatable, Sendable {
    case unknownArray(String)
    case indexOutOfBounds(array: String, index: Int)
}

/// The control-plane API of a pipeline: table entries, registers and queue occupancy, changed by name
/// while traffic runs. Calls come from the thread that runs the pipeline, between packets (see
/// `Pipeline`); they may allocate.
extension Pipeline {
    /// Adds (or replaces) an entry of `table` selecting `action` with `parameters`. `qualifier` is the
    /// masks (ternary), upper bounds (range) or `[prefixLength]` (longest prefix); empty for exact.
    public func insertEntry(table: String, key: [UInt64], qualifier: [UInt64] = [], priority: Int = 0,
                            action: String, parameters: [UInt64] = []) throws(TableUpdateError) {
        let (matchTable, declaration) = try lookupTable(table)
        guard let actionIndex = declaration.actions.firstIndex(where: { $0.name == action }) else { throw .unknownAction(action) }
        guard declaration.actions[actionIndex].parameterCount == parameters.count else { throw .wrongShape(table) }
        try matchTable.insert(key: key, qualifier: qualifier, priority: priority, action: actionIndex, parameters: parameters)
    }

    /// Removes the entry of `table` with this key and qualifier.
    public func removeEntry(table: String, key: [UInt64], qualifier: [UInt64] = []) throws(TableUpdateError) {
        try lookupTable(table).0.remove(key: key, qualifier: qualifier)
    }

    /// How many entries `table` holds (nil for an unknown table).
    public func entryCount(table: String) -> Int? { tables.first { $0.name == table }?.count }

    private func lookupTable(_ name: String) throws(TableUpdateError) -> (MatchTable, TableDeclaration) {
        guard let index = compiled.tables.firstIndex(where: { $0.name == name }) else { throw .unknownTable(name) }
        return (tables[index], compiled.tables[index])
    }

    /// Register `index` of array `array`.
    public func readRegister(_ array: String, index: Int) throws(RegisterAccessError) -> UInt64 {
        registers[try registerSlot(array, index: index)]
    }

    /// Sets register `index` of array `array`.
    public func writeRegister(_ array: String, index: Int, value: UInt64) throws(RegisterAccessError) {
        registers[try registerSlot(array, index: index)] = value
    }

    private func registerSlot(_ array: String, index: Int) throws(RegisterAccessError) -> Int {
        guard let arrayIndex = compiled.registers.firstIndex(where: { $0.name == array }) else { throw .unknownArray(array) }
        guard index >= 0 && index < compiled.registers[arrayIndex].size else { throw .indexOutOfBounds(array: array, index: index) }
        return registerBases[arrayIndex] + index
    }

    /// How often each action of each stage has run, in program order.
    public func actionCounts() -> [(stage: String, action: String, count: UInt64)] {
        var counts: [(stage: String, action: String, count: UInt64)] = []
        var index = 0
        for stage in program.stages {
            for action in stage.actions {
                counts.append((stage.name, action.name, actionHits[index]))
                index += 1
            }
        }
        return counts
    }

    /// Tells the pipeline how many free entries software queue `queue` has (read by `queueRoom`).
    public func setQueueRoom(_ queue: Int, _ room: Int) {
        guard queue >= 0 && queue < queueCount else { return }
        queueRooms[queue] = room
    }
}
