import FlexPort

#if canImport(Glibc)
import Glibc
#endif

/// A seeded open-loop workload of flows: sizes from a Pareto distribution (shape `shape`, mean
/// `meanBytes` before the cap, capped at `maximumBytes`), arriving as a Poisson process whose rate
/// makes the offered payload `load` × `linkBitsPerSecond` (computed with the capped mean).
///
/// Contract: the same settings give the same flows, sorted by arrival, all within
/// `0 ..< durationNanoseconds`, each 1 ... `maximumBytes` bytes. The settings must satisfy
/// `shape > 1`, `meanBytes ≥ 1`, `maximumBytes ≥ meanBytes`, `0 < load`, `linkBitsPerSecond > 0`.
struct ParetoFlowWorkload {
    var meanBytes: Double
    var shape: Double
    var maximumBytes: Double
    var load: Double
    var linkBitsPerSecond: UInt64
    var seed: UInt64

    struct Flow: Equatable {
        var arrivalNanoseconds: UInt64
        var bytes: Int
    }

    /// Pareto's scale x_m: the smallest size, mean · (shape − 1) / shape.
    var minimumBytes: Double { meanBytes * (shape - 1) / shape }

    /// The mean of the capped sizes: E[min(X, c)] = x_m + (x_m − x_m^a · c^(1−a)) / (a − 1).
    var cappedMeanBytes: Double {
        let scale = minimumBytes
        return scale + (scale - pow(scale, shape) * pow(maximumBytes, 1 - shape)) / (shape - 1)
    }

    /// The flows arriving within `durationNanoseconds`.
    func flows(durationNanoseconds: UInt64) -> [Flow] {
        var random = SeededRandom(seed: seed)
        let meanGapNanoseconds = cappedMeanBytes * 8 / (load * Double(linkBitsPerSecond)) * 1e9
        var flows: [Flow] = []
        var arrival = 0.0
        while true {
            arrival += -log(Self.unitOpen(&random)) * meanGapNanoseconds
            guard arrival < Double(durationNanoseconds) else { return flows }
            let size = min(maximumBytes, minimumBytes / pow(Self.unitOpen(&random), 1 / shape))
            flows.append(Flow(arrivalNanoseconds: UInt64(arrival), bytes: max(1, Int(size.rounded()))))
        }
    }

    /// A uniform value in (0, 1].
    private static func unitOpen(_ random: inout SeededRandom) -> Double {
        Double(random.next() >> 11 &+ 1) / Double(1 << 53)
    }
}
