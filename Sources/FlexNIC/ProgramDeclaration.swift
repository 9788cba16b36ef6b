/// How a table matches its key fields.
public enum MatchKind: String, Sendable, Equatable {
    /// Every key equal.
    case exact
    /// Every key equal under the entry's mask; the highest priority matching entry wins.
    case ternary
    /// One key; the entry with the longest matching prefix (of the key's bit width) wins.
    case longestPrefix
    /// Every key within the entry's inclusive range; the highest priority matching entry wins.
    case range
}

/// A named action: primitives run in order with the matched entry's parameters.
public struct ActionDeclaration: Sendable, Equatable {
    public var name: String
    public var parameterCount: Int
    public var primitives: [Primitive]

    public init(_ name: String, parameters parameterCount: Int = 0, _ primitives: [Primitive]) {
        self.name = name
        self.parameterCount = parameterCount
        self.primitives = primitives
    }
}

/// An entry a program installs with itself (the control plane adds more at run time).
public struct TableEntry: Sendable, Equatable {
    /// Exact: the key; ternary: values; range: lower bounds; longest prefix: the address.
    public var key: [UInt64]
    /// Ternary: masks; range: upper bounds; longest prefix: `[prefixLength]`; exact: empty.
    public var qualifier: [UInt64]
    public var priority: Int
    public var action: String
    public var parameters: [UInt64]

    public init(key: [UInt64], qualifier: [UInt64] = [], priority: Int = 0, action: String, parameters: [UInt64] = []) {
        self.key = key
        self.qualifier = qualifier
        self.priority = priority
        self.action = action
        self.parameters = parameters
    }
}

/// A match table: key fields, capacity, the actions entries may select, and the action of a miss.
public struct TableDeclaration: Sendable, Equatable {
    public var name: String
    public var kind: MatchKind
    public var keys: [String]
    public var size: Int
    public var actions: [ActionDeclaration]
    public var defaultAction: String
    public var defaultParameters: [UInt64]
    public var entries: [TableEntry]

    public init(_ name: String, kind: MatchKind, keys: [String], size: Int, actions: [ActionDeclaration],
                defaultAction: String, defaultParameters: [UInt64] = [], entries: [TableEntry] = []) {
        self.name = name
        self.kind = kind
        self.keys = keys
        self.size = size
        self.actions = actions
        self.defaultAction = defaultAction
        self.defaultParameters = defaultParameters
        self.entries = entries
    }
}

/// A guard on a stage: the stage runs only when `left comparison right` holds.
public struct StageCondition: Sendable, Equatable {
    public var left: Operand
    public var comparison: Comparison
    public var right: Operand

    public init(_ left: Operand, _ comparison: Comparison, _ right: Operand) {
        self.left = left
        self.comparison = comparison
        self.right = right
    }
}

/// A match+action stage: an optional guard, then either a table lookup or one unconditional action.
public struct StageDeclaration: Sendable, Equatable {
    /// What the stage does once its guard passed.
    public enum Body: Sendable, Equatable {
        case table(TableDeclaration)
        case action(ActionDeclaration)
    }

    public var name: String
    public var condition: StageCondition?
    public var body: Body

    public init(_ name: String, when condition: StageCondition? = nil, _ body: Body) {
        self.name = name
        self.condition = condition
        self.body = body
    }

    /// The actions the stage can run.
    public var actions: [ActionDeclaration] {
        switch body {
        case .table(let table): table.actions
        case .action(let action): [action]
        }
    }
}

/// An array of stateful registers (64-bit each); its size must be a power of two so a dynamic index
/// (a hash, a table result) wraps into it by masking.
public struct RegisterArrayDeclaration: Sendable, Equatable {
    public var name: String
    public var size: Int

    public init(_ name: String, size: Int) {
        self.name = name
        self.size = size
    }
}

/// A FlexNIC program for one pipeline: the parse graph, metadata fields it declares, register arrays
/// and match+action stages in order. `pipeline` says where it runs (receive and transmit programs
/// parse frames; doorbell and DMA programs parse the host interface's records, see
/// `HostInterfacePrograms`); the validator allows each pipeline only its own primitives.
public struct Program: Sendable, Equatable {
    public var name: String
    public var pipeline: PipelineKind
    public var parseGraph: ParseGraph
    /// Extra scratch fields `meta.<name>` (zero at the start of each packet).
    public var metadata: [String]
    public var registers: [RegisterArrayDeclaration]
    public var stages: [StageDeclaration]

    public init(_ name: String, pipeline: PipelineKind = .receive, parseGraph: ParseGraph = StandardParseGraph.graph, metadata: [String] = [],
                registers: [RegisterArrayDeclaration] = [], stages: [StageDeclaration]) {
        self.name = name
        self.pipeline = pipeline
        self.parseGraph = parseGraph
        self.metadata = metadata
        self.registers = registers
        self.stages = stages
    }
}
