import CFlexShim
#if canImport(Glibc)
import Glibc
#endif

/// One sample of a Prometheus text exposition: a metric name, its labels and its value.
public struct MetricSample: Equatable, Sendable {
    public var name: String
    public var labels: [String: String]
    public var value: Double

    public init(name: String, labels: [String: String] = [:], value: Double) {
        self.name = name
        self.labels = labels
        self.value = value
    }
}

extension Array where Element == MetricSample {
    /// The sum of the samples of metric `name` whose labels include `labels`.
    public func sum(_ name: String, _ labels: [String: String] = [:]) -> Double {
        filter { sample in sample.name == name && labels.allSatisfy { key, wanted in sample.labels[key] == wanted } }.reduce(0) { $0 + $1.value }
    }
}

/// flextcpd's metrics as `flextcp stats` shows them: fetched from the metrics endpoint, parsed from
/// the Prometheus text format, and laid out as a human-readable table.
///
/// Contract: `fetch` throws `ServiceStats.Failure` saying what went wrong (no endpoint, a bad
/// answer); `parse` reads `name{label="value",…} value` lines (comments skipped, a line it cannot
/// read is an error naming it); `table` renders only what the samples hold.
public enum ServiceStats {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// GETs /metrics from `address` and returns the body (the Prometheus text).
    public static func fetch(from address: MetricsAddress) throws(Failure) -> String {
        let socket = address.connect()
        guard socket >= 0 else {
            throw Failure(description: "cannot connect to flextcpd's metrics at \(address): \(String(cString: strerror(errno))) "
                + "(is flextcpd running, with metrics on? see --service and flextcpd --metrics)")
        }
        defer { close(socket) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let request = Array("GET /metrics HTTP/1.1\r\nHost: flextcpd\r\nConnection: close\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else {
            throw Failure(description: "cannot send the request to \(address): \(String(cString: strerror(errno)))")
        }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let received = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            if received == 0 { break }
            guard received > 0 else { throw Failure(description: "reading from \(address): \(String(cString: strerror(errno)))") }
            response += chunk.prefix(received)
        }
        let text = String(decoding: response, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n"), text.hasPrefix("HTTP/1.1 200") else {
            throw Failure(description: "\(address) answered: \(text.prefix(while: { $0 != "\r" }))")
        }
        return String(text[split.upperBound...])
    }

    /// The samples of a Prometheus text exposition.
    public static func parse(_ text: String) throws(Failure) -> [MetricSample] {
        var samples: [MetricSample] = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") && !line.allSatisfy(\.isWhitespace) {
            guard let sample = sample(line) else { throw Failure(description: "cannot read the metrics line \"\(line)\"") }
            samples.append(sample)
        }
        return samples
    }

    private static func sample(_ line: Substring) -> MetricSample? {
        guard let valueStart = line.lastIndex(of: " "), let value = Double(line[line.index(after: valueStart)...]) else { return nil }
        let series = line[..<valueStart]
        guard let open = series.firstIndex(of: "{") else { return MetricSample(name: String(series), value: value) }
        guard series.last == "}" else { return nil }
        var labels: [String: String] = [:]
        // Label values here never hold `",` or escapes (flextcpd's own labels).
        for pair in series[series.index(after: open)..<series.index(before: series.endIndex)].split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, parts[1].count >= 2, parts[1].first == "\"", parts[1].last == "\"" else { return nil }
            labels[String(parts[0])] = String(parts[1].dropFirst().dropLast())
        }
        return MetricSample(name: String(series[..<open]), labels: labels, value: value)
    }

    /// The samples as a table: the service, traffic, drops and connections, then one row per
    /// application slot that is attached or has counted anything (the others summed up in one line).
    public static func table(_ samples: [MetricSample]) -> String {
        func value(_ name: String, _ labels: [String: String] = [:]) -> Double { samples.sum(name, labels) }
        func number(_ value: Double) -> String { String(Int64(value)) }
        var lines: [String] = []
        lines.append("service      applications attached \(number(value("flextcpd_applications_attached")))  "
            + "attaches \(number(value("flextcpd_attaches_total")))  hang-ups \(number(value("flextcpd_hangups_total")))  "
            + "refused \(number(value("flextcpd_attaches_refused_total")))  flows reset \(number(value("flextcpd_flows_reset_total")))  "
            + "rejected entries \(number(value("flextcpd_rejected_entries_total")))  limit hits \(number(value("flextcpd_connection_limit_hits_total")))")
        lines.append("traffic      packets in \(number(value("flextcpd_packets_total", ["direction": "received"])))  "
            + "out \(number(value("flextcpd_packets_total", ["direction": "transmitted"])))  "
            + "bytes in \(number(value("flextcpd_bytes_total", ["direction": "received"])))  "
            + "out \(number(value("flextcpd_bytes_total", ["direction": "transmitted"])))  "
            + "retransmits \(number(value("flextcpd_retransmits_total")))  ECN-marked bytes \(number(value("flextcpd_ecn_marked_bytes_total")))")
        let drops = nonZero(samples, "flextcpd_drops_total", label: "reason")
        lines.append("drops        " + (drops.isEmpty ? "none" : drops.map { "\($0.0) \(number($0.1))" }.joined(separator: "  ")))
        let states = nonZero(samples, "flextcpd_connections", label: "state")
        lines.append("connections  " + (states.isEmpty ? "none" : states.map { "\($0.0) \(number($0.1))" }.joined(separator: "  ")))
        let applications = Set(samples.compactMap { $0.name.hasPrefix("flextcpd_application_") ? $0.labels["application"] : nil })
            .compactMap(Int.init).sorted()
        let header = ["app", "attached", "pid", "established", "connections", "acked bytes", "retransmits", "ECN bytes", "limit hits"]
        var rows = [header]
        var quiet = 0
        for application in applications {
            let slot = ["application": "\(application)"]
            let values = samples.filter { $0.labels["application"] == "\(application)" }.map(\.value)
            guard values.contains(where: { $0 != 0 }) else {
                quiet += 1
                continue
            }
            rows.append([
                "\(application)", value("flextcpd_application_attached", slot) > 0 ? "yes" : "no",
                number(value("flextcpd_application_pid", slot)),
                number(value("flextcpd_application_connections", slot.merging(["state": "established"]) { $1 })),
                number(value("flextcpd_application_connections", slot)), number(value("flextcpd_application_acked_bytes_total", slot)),
                number(value("flextcpd_application_retransmits_total", slot)), number(value("flextcpd_application_ecn_marked_bytes_total", slot)),
                number(value("flextcpd_application_connection_limit_hits_total", slot)),
            ])
        }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        lines.append("")
        for row in rows {
            lines.append(row.enumerated().map { column, cell in
                String(repeating: " ", count: widths[column] - cell.count) + cell
            }.joined(separator: "  "))
        }
        if quiet > 0 { lines.append("(\(quiet) free application slots with nothing to show)") }
        return lines.joined(separator: "\n")
    }

    /// The non-zero sums of metric `name` per value of `label`, by label value.
    private static func nonZero(_ samples: [MetricSample], _ name: String, label: String) -> [(String, Double)] {
        var sums: [String: Double] = [:]
        for sample in samples where sample.name == name { sums[sample.labels[label] ?? "", default: 0] += sample.value }
        return sums.filter { $0.value != 0 }.sorted { $0.key < $1.key }
    }
}
