import Foundation

/// Writes results as a JSON array (one object per run; keys in `RunResult.CodingKeys`).
public enum ResultsFile {
    public static func write(_ results: [RunResult], to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(results).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    public static func read(from path: String) throws -> [RunResult] {
        try JSONDecoder().decode([RunResult].self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }
}
