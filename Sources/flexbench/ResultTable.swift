import Foundation

/// Formats benchmark results as aligned text columns: name, median, best, unit, batch size.
struct ResultTable {
    let nameWidth: Int

    private static let figureWidth = 10
    private static let unitWidth = 12

    var header: String {
        padded("benchmark", nameWidth, alignRight: false)
            + padded("median", Self.figureWidth) + padded("best", Self.figureWidth)
            + "  " + padded("unit", Self.unitWidth, alignRight: false) + "iterations/repetition"
    }

    func row(name: String, unit: String, result: BenchmarkResult) -> String {
        padded(name, nameWidth, alignRight: false)
            + padded(Self.formatted(result.median), Self.figureWidth) + padded(Self.formatted(result.best), Self.figureWidth)
            + "  " + padded(unit, Self.unitWidth, alignRight: false) + String(result.iterationsPerRepetition)
    }

    /// At least three significant digits.
    private static func formatted(_ figure: Double) -> String {
        let decimals = figure >= 100 ? 1 : figure >= 10 ? 2 : 3
        return String(format: "%.*f", decimals, figure)
    }

    private func padded(_ text: String, _ width: Int, alignRight: Bool = true) -> String {
        let padding = String(repeating: " ", count: max(width - text.count, 0))
        return alignRight ? padding + text : text + padding
    }
}
