import FlexTCPService
import Foundation
import Testing

/// Two applications, as separate processes, on one flextcpd (in-memory wire to an echo peer): one
/// killed or hostile, the other's transfers intact.
@Suite("flextcpd isolates its applications", .serialized)
struct ServiceIsolationTests {
    @Test("An application killed mid-transfer has its flows reset and memory freed; the other's transfers complete intact")
    func killedApplication() throws {
        let service = try TestService()
        let doomed = try service.send(bytes: 400_000_000, connections: 2, seed: 100)
        let survivor = try service.send(bytes: 3_000_000, connections: 2, seed: 7)
        #expect(service.daemon.waitUntil(seconds: 20) { service.logLines(containing: "attach").count >= 2 })
        // Mid-transfer: the doomed application has had time to send (its transfer takes far longer).
        usleep(800_000)
        #expect(doomed.process.isRunning, "the long transfer must still run when it is killed")
        kill(doomed.process.processIdentifier, SIGKILL)
        doomed.waitForExit(seconds: 10)

        #expect(survivor.waitForExit(seconds: 60) == 0, "survivor: \(survivor.errorOutput)")
        let reports = survivor.output.split(separator: "\n").map(String.init)
        #expect(reports == expectedReports(bytes: 3_000_000, connections: 2, seed: 7))

        let pid = "pid=\(doomed.process.processIdentifier)"
        #expect(service.daemon.waitUntil(seconds: 10) { !service.logLines(containing: "detach").filter { $0.contains(pid) }.isEmpty })
        let detach = service.logLines(containing: "detach").first { $0.contains(pid) }.map(String.init) ?? ""
        #expect(detach.contains("flowsReset=2"), "the killed application's two connections are reset: \(detach)")
        #expect(detach.contains("regionFreed=true"), "\(detach)")
        #expect(detach.contains("process=gone (exited or crashed)"), "\(detach)")
        #expect(service.daemon.process.isRunning)
        #expect(service.terminate() == 0)
        let counters = service.logLines(containing: "counters=").last.map(String.init) ?? ""
        #expect(counters.contains("attached=2 hungUp=2"), "\(counters)")
        #expect(counters.contains("regionsFreed=2"), "\(counters)")
        #expect(counters.contains("attachedNow=0 draining=0"), "every slot given back: \(counters)")
    }

    @Test("The service's rounds look only at the contexts of applications there are: one application's after its attach, two's beside it, one's again once the other's slot is free, none after a kill")
    func servedContexts() throws {
        let service = try TestService()
        let attachLine = { (process: ChildProcess) in
            service.logLines(containing: "attach").first { $0.contains("pid=\(process.process.processIdentifier)") }.map(String.init) ?? ""
        }
        let long = try service.send(bytes: 400_000_000, connections: 1, seed: 40)
        #expect(service.daemon.waitUntil(seconds: 20) { !attachLine(long).isEmpty })
        #expect(attachLine(long).contains("application=0") && attachLine(long).contains("servedContexts=4"), "\(attachLine(long))")
        let short = try service.send(bytes: 300_000, connections: 1, seed: 41)
        #expect(short.waitForExit(seconds: 60) == 0, "short: \(short.errorOutput)")
        #expect(short.output.split(separator: "\n").map(String.init) == expectedReports(bytes: 300_000, connections: 1, seed: 41))
        #expect(attachLine(short).contains("application=1") && attachLine(short).contains("servedContexts=8"), "\(attachLine(short))")
        let freed = { (application: Int) in
            service.logLines(containing: "slot free").first { $0.contains("application=\(application)") }.map(String.init) ?? ""
        }
        #expect(service.daemon.waitUntil(seconds: 10) { !freed(1).isEmpty })
        #expect(freed(1).contains("servedContexts=4"), "the long transfer's contexts stay served: \(freed(1))")
        #expect(long.process.isRunning, "the long transfer must still run when it is killed")
        kill(long.process.processIdentifier, SIGKILL)
        long.waitForExit(seconds: 10)
        #expect(service.daemon.waitUntil(seconds: 10) { !freed(0).isEmpty })
        #expect(freed(0).contains("servedContexts=0"), "\(freed(0))")
        #expect(service.logLines(containing: "detach").contains { $0.contains("application=0") && $0.contains("flowsReset=1") })
        #expect(service.terminate() == 0)
    }

    @Test("A hostile application writing crafted and random garbage gets errors; the service and the other application carry on")
    func hostileApplication() throws {
        let service = try TestService()
        // The hostile application takes the first slot, so the application after it gets that slot, cleaned.
        let hostile = try ChildProcess(try BuiltProduct.path("flextcp"),
                                       ["service-garbage", "--service", service.socketPath, "--seed", "5", "--rounds", "20"])
        #expect(service.daemon.waitUntil(seconds: 20) { !service.logLines(containing: "attach").isEmpty })
        let survivor = try service.send(bytes: 3_000_000, connections: 2, seed: 21)
        #expect(hostile.waitForExit(seconds: 60) == 0, "hostile: \(hostile.errorOutput)")
        let tally = hostile.output.split(separator: "\n").first { $0.hasPrefix("service-garbage:") }.map(String.init) ?? ""
        let numbers = tally.split(separator: " ").compactMap { $0.split(separator: "=").last.flatMap { Int($0) } }
        #expect(numbers.count == 2 && numbers[0] > 500 && numbers[1] >= 32, "errors for every crafted entry: \(tally)")

        #expect(survivor.waitForExit(seconds: 60) == 0, "survivor: \(survivor.errorOutput)")
        #expect(survivor.output.split(separator: "\n").map(String.init) == expectedReports(bytes: 3_000_000, connections: 2, seed: 21))

        // The hostile application's slot is cleaned and served again: a new application works in it.
        #expect(service.daemon.waitUntil(seconds: 20) { service.logLines(containing: "slot free").contains { $0.contains("application=0") } })
        let next = try service.send(bytes: 500_000, connections: 1, seed: 3)
        #expect(next.waitForExit(seconds: 60) == 0, "next: \(next.errorOutput)")
        #expect(next.output.split(separator: "\n").map(String.init) == expectedReports(bytes: 500_000, connections: 1, seed: 3))
        let reuse = "pid=\(next.process.processIdentifier)"
        #expect(service.logLines(containing: "attach").contains { $0.contains(reuse) && $0.contains("application=0") }, "the hostile's slot")
        #expect(service.terminate() == 0)
        let counters = service.logLines(containing: "counters=").last.map(String.init) ?? ""
        #expect(counters.contains("attached=3 hungUp=3"), "\(counters)")
        #expect(!counters.contains("rejectedEntries=0 "), "the hostile application's entries were refused: \(counters)")
        #expect(counters.contains("attachedNow=0 draining=0"), "\(counters)")
    }

    @Test("An attach beyond the applications limit is refused and logged; the attached application is unaffected")
    func applicationLimit() throws {
        let service = try TestService(extraArguments: ["--applications", "1"])
        let first = try service.send(bytes: 2_000_000, connections: 1, seed: 9)
        #expect(service.daemon.waitUntil(seconds: 20) { !service.logLines(containing: "attach").isEmpty })
        let refused = try service.send(bytes: 1000, connections: 1, seed: 1)
        #expect(refused.waitForExit(seconds: 20) != 0)
        #expect(refused.errorOutput.contains("refused to attach"), "\(refused.errorOutput)")
        #expect(first.waitForExit(seconds: 60) == 0, "first: \(first.errorOutput)")
        #expect(first.output.split(separator: "\n").map(String.init) == expectedReports(bytes: 2_000_000, connections: 1, seed: 9))
        #expect(!service.logLines(containing: "limit hit").isEmpty)
        #expect(service.terminate() == 0)
    }

    @Test("An application's connections beyond its limit fail (resourcesExhausted); another application's do not")
    func connectionLimit() throws {
        let service = try TestService(extraArguments: ["--connections-per-application", "2"])
        let greedy = try service.send(bytes: 300_000, connections: 3, seed: 40)
        let modest = try service.send(bytes: 300_000, connections: 2, seed: 50)
        #expect(greedy.waitForExit(seconds: 60) != 0)
        #expect(greedy.errorOutput.contains("connection 2 failed: no free connection slot"), "\(greedy.errorOutput)")
        let expected = Set(expectedReports(bytes: 300_000, connections: 3, seed: 40))
        let completed = greedy.output.split(separator: "\n").map(String.init)
        #expect(completed.count == 2 && completed.allSatisfy(expected.contains), "the two within the limit complete intact: \(completed)")
        #expect(modest.waitForExit(seconds: 60) == 0, "modest: \(modest.errorOutput)")
        #expect(modest.output.split(separator: "\n").map(String.init) == expectedReports(bytes: 300_000, connections: 2, seed: 50))
        let pid = "pid=\(greedy.process.processIdentifier)"
        #expect(service.logLines(containing: "limit hit: connections").contains { $0.contains(pid) && $0.contains("refused=1") })
        #expect(service.terminate() == 0)
        #expect(service.logLines(containing: "counters=").last?.contains("connectionLimitHits=1") == true)
    }

    @Test("An application that closes first opens 200 connections in a row within a limit of 4: TIME_WAIT holds none of its slots")
    func closingFirstKeepsNoSlots() throws {
        let service = try TestService(extraArguments: ["--connections-per-application", "4"])
        let churn = try service.send(bytes: 1000, connections: 2, seed: 60, rounds: 100)
        #expect(churn.waitForExit(seconds: 120) == 0, "\(churn.errorOutput)")
        let reports = churn.output.split(separator: "\n").map(String.init)
        let expected = expectedReports(bytes: 1000, connections: 2, seed: 60)
        #expect(reports.count == 200, "rounds completed: \(reports.count / 2)")
        #expect(reports.indices.allSatisfy { reports[$0] == expected[$0 % 2] }, "every echo intact")
        // The 200 connections are in TIME_WAIT (60 s) as records (room for 4 × 64 flow slots): the metrics count them.
        let endpoint = MetricsAddress.unix(path: service.socketPath + ServiceSettings.metricsSuffix)
        var timeWait = 0.0
        #expect(service.daemon.waitUntil(seconds: 20) {
            timeWait = (try? ServiceStats.parse(ServiceStats.fetch(from: endpoint)))?.sum("flextcpd_connections", ["state": "timeWait"]) ?? 0
            return timeWait == 200
        }, "flextcpd_connections{state=timeWait} = \(timeWait)")
        #expect(service.terminate() == 0)
        #expect(service.logLines(containing: "counters=").last?.contains("connectionLimitHits=0") == true)
    }
}
