/// What `flexbench profile` reads from callgrind: the instruction total of a run, instructions per
/// message from two runs of different lengths, and the costliest functions of a
/// `callgrind_annotate` listing.
///
/// Contract: the parsers take the tools' text as written by valgrind 3.19 (`summary:`/`totals:`
/// lines in the output file; "N (P%)  name" lines in the annotation) and return nil or nothing for
/// text without those lines, never trap.
public enum CallgrindReport {
    /// One function's share of a run.
    public struct Function: Equatable, Sendable {
        public let instructions: UInt64
        public let name: String
    }

    /// The instructions a callgrind output file counted (its `summary:` or else `totals:` line).
    public static func totalInstructions(in output: String) -> UInt64? {
        var totals: UInt64?
        for line in output.split(separator: "\n", omittingEmptySubsequences: true) {
            for key in ["summary:", "totals:"] where line.hasPrefix(key) {
                guard let first = line.dropFirst(key.count).split(separator: " ").first, let value = UInt64(first) else { continue }
                if key == "summary:" { return value }
                totals = value
            }
        }
        return totals
    }

    /// Instructions per message from a long and a short run of the same workload: the difference of
    /// the totals over the difference of the messages, so that start-up and teardown cancel. Nil
    /// unless the long run completed more messages.
    public static func instructionsPerMessage(long: (instructions: UInt64, messages: UInt64),
                                              short: (instructions: UInt64, messages: UInt64)) -> Double? {
        guard long.messages > short.messages else { return nil }
        return (Double(long.instructions) - Double(short.instructions)) / Double(long.messages - short.messages)
    }

    /// Each function's instructions per message from the listings of a long and a short run
    /// (`topFunctions` of each, all lines): the difference of its totals over `messages`, the
    /// difference of the runs' message counts; lines of the same name are added up. Costliest
    /// first, functions that cost nothing per message left out.
    public static func perMessageFunctions(long: [Function], short: [Function], messages: UInt64) -> [(name: String, instructions: Double)] {
        guard messages > 0 else { return [] }
        var difference: [String: Double] = [:]
        for function in long { difference[function.name, default: 0] += Double(function.instructions) }
        for function in short { difference[function.name, default: 0] -= Double(function.instructions) }
        return difference.filter { $0.value > 0 }
            .map { (name: $0.key, instructions: $0.value / Double(messages)) }
            .sorted { $0.instructions != $1.instructions ? $0.instructions > $1.instructions : $0.name < $1.name }
    }

    /// The first `count` function lines of a `callgrind_annotate` listing, costliest first (the
    /// PROGRAM TOTALS line left out).
    public static func topFunctions(inAnnotation annotation: String, count: Int) -> [Function] {
        var functions: [Function] = []
        for line in annotation.split(separator: "\n") where functions.count < count {
            guard let function = function(from: line) else { continue }
            functions.append(function)
        }
        return functions
    }

    /// "  1,234 (12.5%)  file:name [object]" → the function; nil for any other line.
    static func function(from line: Substring) -> Function? {
        let trimmed = line.drop { $0 == " " }
        guard let open = trimmed.firstIndex(of: "("), let close = trimmed[open...].firstIndex(of: ")") else { return nil }
        let digits = trimmed[..<open].filter { $0 != "," && $0 != " " }
        guard !digits.isEmpty, let instructions = UInt64(digits),
              Double(trimmed[trimmed.index(after: open)..<close].filter { $0 != "%" && $0 != " " }) != nil else { return nil }
        var name = trimmed[trimmed.index(after: close)...].drop { $0 == " " }
        guard !name.isEmpty, name != "PROGRAM TOTALS" else { return nil }
        // "file:function [object]": the object is the same binary for every line of interest.
        if name.hasSuffix("]"), let bracket = name.lastIndex(of: "[") { name = name[..<bracket] }
        // "file:" before the function: "???" when the binary has no line information, else a path.
        if let colon = name.firstIndex(of: ":"), name[..<colon] == "???" || name[..<colon].contains("/") {
            name = name[name.index(after: colon)...]
        }
        return Function(instructions: instructions, name: String(name.reversed().drop { $0 == " " }.reversed()))
    }
}
