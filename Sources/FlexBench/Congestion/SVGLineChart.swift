import Foundation

/// A line chart rendered as a standalone SVG document that any browser opens: axes with ticks,
/// one polyline per series (a legend when there are few), and dashed horizontal reference lines.
///
/// Contract: `render()` never traps; empty or non-finite data gives an empty plot area.
public struct SVGLineChart {
    public struct Series {
        public var name: String
        public var points: [(x: Double, y: Double)]
        public init(name: String, points: [(x: Double, y: Double)]) {
            self.name = name
            self.points = points
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series] = []
    /// Dashed horizontal lines, e.g. a fair share.
    public var references: [(label: String, y: Double)] = []

    public init(title: String, xLabel: String, yLabel: String) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
    }

    static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]

    public func render(width: Double = 800, height: Double = 480) -> String {
        let (left, right, top, bottom) = (70.0, 20.0, 40.0, 50.0)
        let finite = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        let xs = finite.map(\.x), ys = finite.map(\.y) + references.map(\.y).filter(\.isFinite)
        let xRange = (xs.min() ?? 0, max(xs.max() ?? 1, (xs.min() ?? 0) + 1e-9))
        let yRange = (min(0, ys.min() ?? 0), max(ys.max() ?? 1, 1e-9) * 1.05)
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        func x(_ value: Double) -> Double { left + (value - xRange.0) / (xRange.1 - xRange.0) * plotWidth }
        func y(_ value: Double) -> Double { top + plotHeight - (value - yRange.0) / (yRange.1 - yRange.0) * plotHeight }
        var svg = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(width / 2)" y="22" text-anchor="middle" font-size="15">\(Self.escaped(title))</text>
        <line x1="\(left)" y1="\(top + plotHeight)" x2="\(left + plotWidth)" y2="\(top + plotHeight)" stroke="black"/>
        <line x1="\(left)" y1="\(top)" x2="\(left)" y2="\(top + plotHeight)" stroke="black"/>

        """
        for step in 0...5 {
            let xValue = xRange.0 + (xRange.1 - xRange.0) * Double(step) / 5
            let yValue = yRange.0 + (yRange.1 - yRange.0) * Double(step) / 5
            svg += "<text x=\"\(x(xValue))\" y=\"\(top + plotHeight + 16)\" text-anchor=\"middle\">\(Self.format(xValue))</text>\n"
            svg += "<text x=\"\(left - 6)\" y=\"\(y(yValue) + 4)\" text-anchor=\"end\">\(Self.format(yValue))</text>\n"
            svg += "<line x1=\"\(left)\" y1=\"\(y(yValue))\" x2=\"\(left + plotWidth)\" y2=\"\(y(yValue))\" stroke=\"#eeeeee\"/>\n"
        }
        svg += "<text x=\"\(left + plotWidth / 2)\" y=\"\(height - 12)\" text-anchor=\"middle\">\(Self.escaped(xLabel))</text>\n"
        svg += "<text transform=\"translate(16,\(top + plotHeight / 2)) rotate(-90)\" text-anchor=\"middle\">\(Self.escaped(yLabel))</text>\n"
        for (index, line) in series.enumerated() {
            let points = line.points.filter { $0.x.isFinite && $0.y.isFinite }.map { "\(x($0.x)),\(y($0.y))" }.joined(separator: " ")
            let color = Self.palette[index % Self.palette.count]
            svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.2\" points=\"\(points)\"><title>\(Self.escaped(line.name))</title></polyline>\n"
            if series.count <= 10 {
                let legendY = top + 14 * Double(index) + 8
                svg += "<text x=\"\(left + plotWidth - 6)\" y=\"\(legendY)\" text-anchor=\"end\" fill=\"\(color)\">\(Self.escaped(line.name))</text>\n"
            }
        }
        for reference in references where reference.y.isFinite {
            svg += "<line x1=\"\(left)\" y1=\"\(y(reference.y))\" x2=\"\(left + plotWidth)\" y2=\"\(y(reference.y))\" stroke=\"black\" stroke-dasharray=\"6,4\"/>\n"
            svg += "<text x=\"\(left + 6)\" y=\"\(y(reference.y) - 4)\">\(Self.escaped(reference.label))</text>\n"
        }
        return svg + "</svg>\n"
    }

    /// Up to three significant decimals, no exponent for the ranges plotted here.
    static func format(_ value: Double) -> String {
        let rounded = (value * 1000).rounded() / 1000
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }

    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
