/// Why a FlexKVS transport could not start, in words for the command line.
public struct TransportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
