import ArgumentParser
import FlexTCP
import FlexTCPService

/// `flextcp stats`: flextcpd's counters (global and per application) from its metrics endpoint, as a table.
struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Print a running flextcpd's counters, global and per application, as a table.",
        discussion: """
            Reads the service's metrics endpoint (by default unix:SERVICE.metrics, next to the attach socket; \
            --metrics for another). --raw prints the Prometheus text as served.
            """)

    @Option(help: "The flextcpd socket (default: $FLEXTCP_SERVICE, $XDG_RUNTIME_DIR/flextcpd.sock or /run/flextcp/flextcpd.sock).")
    var service: String?

    @Option(help: "The metrics endpoint, unix:PATH or 127.0.0.1:PORT (default: unix:SERVICE.metrics).")
    var metrics: String?

    @Flag(help: "Print the Prometheus text as served instead of the table.")
    var raw = false

    func run() throws {
        let text = metrics ?? "unix:" + (service ?? FlexTCPStack.defaultServicePath) + ServiceSettings.metricsSuffix
        guard let address = MetricsAddress(text) else { throw ValidationError("\(text) is not unix:PATH or 127.0.0.1:PORT") }
        do {
            let exposition = try ServiceStats.fetch(from: address)
            print(raw ? exposition : ServiceStats.table(try ServiceStats.parse(exposition)))
        } catch {
            printError("flextcp stats: \(error)")
            throw ExitCode.failure
        }
    }
}
