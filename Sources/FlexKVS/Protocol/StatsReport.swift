#if canImport(Glibc)
import Glibc
#endif

/// The name-value pairs of memcached's `stats` (general) and `stats settings`, in memcached's
/// order, for the fields clients read. Slab, item and LRU internals memcached reports have no
/// counterpart in FlexKVS's log-structured store and are left out.
enum StatsReport {
    /// `stats` with no argument.
    static func general(_ server: CacheServer) -> [(String, String)] {
        let store = server.store
        let counters = store.counters
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ time: timeval) -> String {
            let micros = String(Int(time.tv_usec))
            return "\(time.tv_sec).\(String(repeating: "0", count: max(0, 6 - micros.count)))\(micros)"
        }
        return [
            ("pid", "\(getpid())"),
            ("uptime", "\(store.clock.now - 2)"),
            ("time", "\(store.clock.unixTime)"),
            ("version", CacheServer.version),
            ("pointer_size", "\(MemoryLayout<Int>.size * 8)"),
            ("rusage_user", seconds(usage.ru_utime)),
            ("rusage_system", seconds(usage.ru_stime)),
            ("max_connections", "\(server.settings.maxConnections)"),
            ("curr_connections", "\(server.currentConnections.load(ordering: .relaxed))"),
            ("total_connections", "\(server.totalConnections.load(ordering: .relaxed))"),
            ("cmd_get", "\(counters.getCommands)"),
            ("cmd_set", "\(counters.setCommands)"),
            ("cmd_flush", "\(server.flushCommands.load(ordering: .relaxed))"),
            ("cmd_touch", "\(counters.touchCommands)"),
            ("get_hits", "\(counters.getHits)"),
            ("get_misses", "\(counters.getMisses)"),
            ("get_expired", "\(counters.getExpired)"),
            ("delete_misses", "\(counters.deleteMisses)"),
            ("delete_hits", "\(counters.deleteHits)"),
            ("incr_misses", "\(counters.incrementMisses)"),
            ("incr_hits", "\(counters.incrementHits)"),
            ("decr_misses", "\(counters.decrementMisses)"),
            ("decr_hits", "\(counters.decrementHits)"),
            ("cas_misses", "\(counters.casMisses)"),
            ("cas_hits", "\(counters.casHits)"),
            ("cas_badval", "\(counters.casBadValue)"),
            ("touch_hits", "\(counters.touchHits)"),
            ("touch_misses", "\(counters.touchMisses)"),
            ("store_too_large", "\(counters.storeTooLarge)"),
            ("store_no_memory", "\(counters.storeNoMemory)"),
            ("bytes_read", "\(server.bytesRead.load(ordering: .relaxed))"),
            ("bytes_written", "\(server.bytesWritten.load(ordering: .relaxed))"),
            ("limit_maxbytes", "\(store.configuration.memoryLimit)"),
            ("threads", "\(server.settings.threads)"),
            ("bytes", "\(counters.bytes)"),
            ("curr_items", "\(counters.currentItems)"),
            ("total_items", "\(counters.totalItems)"),
            ("evictions", "\(counters.evictions)"),
            ("reclaimed", "\(counters.reclaimed)"),
            ("segment_compactions", "\(counters.compactions)"),
        ]
    }

    /// `stats settings`.
    static func settings(_ server: CacheServer) -> [(String, String)] {
        let settings = server.settings
        return [
            ("maxbytes", "\(server.store.configuration.memoryLimit)"),
            ("maxconns", "\(settings.maxConnections)"),
            ("tcpport", "\(settings.tcpPort)"),
            ("udpport", "\(settings.udpPort)"),
            ("inter", settings.interface),
            ("verbosity", "\(server.verbosity.load(ordering: .relaxed))"),
            ("evictions", "on"),
            ("num_threads", "\(settings.threads)"),
            ("cas_enabled", "yes"),
            ("item_size_max", "\(server.store.configuration.maxItemSize)"),
        ]
    }
}

extension ProtocolSession {
    /// stats [settings|reset]: STAT lines and END, RESET; other groups are answered ERROR.
    func stats(_ line: UnsafeRawBufferPointer) {
        let lines: [(String, String)]
        if tokens.count == 1 {
            lines = StatsReport.general(server)
        } else if Self.equal(token(1, of: line), "settings") {
            lines = StatsReport.settings(server)
        } else if Self.equal(token(1, of: line), "reset") {
            store.resetCounters()
            return output.append("RESET\r\n")
        } else {
            return output.append("ERROR\r\n")
        }
        for (name, value) in lines { output.append(string: "STAT \(name) \(value)\r\n") }
        output.append("END\r\n")
    }
}
