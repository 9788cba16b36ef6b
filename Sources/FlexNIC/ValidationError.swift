/// The rules a program must follow before a NIC accepts it.
public enum ValidationRule: String, Sendable, Equatable {
    case tooManyStages = "too many stages"
    case tooManyActions = "too many actions in a stage"
    case tooManyPrimitives = "too many primitives in an action"
    case noLoops = "no loops (a jump must go to a later stage)"
    case noMultiplicationOrDivision = "no multiplication or division on the data path"
    case noTableWrites = "tables are not written from the data path (only registers are)"
    case tooManyDMARequests = "too many DMA requests per packet"
    case registerIndexOutOfBounds = "register index out of bounds"
    case registerMemory = "register memory bounded (power-of-two arrays within the NIC's memory)"
    case unknownName = "every name refers to a declared field, header, register, stage or action"
    case readOnlyField = "header positions and the packet length are read-only"
    case tableShape = "tables have 1 to 4 keys, a bounded size and valid entries"
    case parameterOutOfRange = "action parameters within the action's declared count"
    case hashShape = "hash input bounded (symmetric Toeplitz takes exactly a 4-tuple)"
    case parseGraph = "the parse graph is acyclic, with fields inside their headers"
    case tooManyFields = "the field buffer has a bounded number of packet fields"
    case replyNeedsIPv4 = "a reply needs Ethernet and IPv4 headers in the parse graph"
    case notOnThisPipeline = "each pipeline offers its own primitives (replies on receive, no DMA on doorbells, host reads only on DMA)"
}

/// Why a program was rejected: the stage and action where (when the rule concerns one) and the rule.
public struct ValidationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var stage: String?
    public var action: String?
    public var rule: ValidationRule
    public var detail: String

    public init(stage: String? = nil, action: String? = nil, rule: ValidationRule, detail: String) {
        self.stage = stage
        self.action = action
        self.rule = rule
        self.detail = detail
    }

    public var description: String {
        var place: [String] = []
        if let stage { place.append("stage '\(stage)'") }
        if let action { place.append("action '\(action)'") }
        let prefix = place.isEmpty ? "program" : place.joined(separator: ", ")
        return "\(prefix): violates rule '\(rule.rawValue)': \(detail)"
    }
}
