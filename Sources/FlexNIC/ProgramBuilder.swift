/// A result builder collecting stages or primitives, so programs read as a list:
///
/// ```swift
/// Program("ack", metadata: ["room"]) {
///     StageDeclaration("acknowledge", when: StageCondition("meta.room", .greater, 0), .action(ActionDeclaration("ack") {
///         Primitive.swap("dccp.source_port", "dccp.destination_port")
///         Primitive.reply(truncatingAfter: "dccp")
///     }))
/// }
/// ```
@resultBuilder
public enum ListBuilder<Element> {
    public static func buildExpression(_ element: Element) -> [Element] { [element] }
    public static func buildExpression(_ elements: [Element]) -> [Element] { elements }
    public static func buildBlock(_ parts: [Element]...) -> [Element] { parts.flatMap { $0 } }
    public static func buildOptional(_ part: [Element]?) -> [Element] { part ?? [] }
    public static func buildEither(first part: [Element]) -> [Element] { part }
    public static func buildEither(second part: [Element]) -> [Element] { part }
    public static func buildArray(_ parts: [[Element]]) -> [Element] { parts.flatMap { $0 } }
}

extension Program {
    /// A program whose stages are listed in a builder block.
    public init(_ name: String, pipeline: PipelineKind = .receive, parseGraph: ParseGraph = StandardParseGraph.graph, metadata: [String] = [],
                registers: [RegisterArrayDeclaration] = [], @ListBuilder<StageDeclaration> stages: () -> [StageDeclaration]) {
        self.init(name, pipeline: pipeline, parseGraph: parseGraph, metadata: metadata, registers: registers, stages: stages())
    }
}

extension ActionDeclaration {
    /// An action whose primitives are listed in a builder block.
    public init(_ name: String, parameters parameterCount: Int = 0, @ListBuilder<Primitive> primitives: () -> [Primitive]) {
        self.init(name, parameters: parameterCount, primitives())
    }
}
