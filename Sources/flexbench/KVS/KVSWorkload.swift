/// The dissertation's key-value workload (FlexKVS evaluation): `keyCount` keys of `keySize`
/// bytes with `valueSize`-byte values, keys drawn from a Zipf distribution with exponent `skew`,
/// `getFraction` GETs and the rest SETs, as memcached text requests.
struct KVSWorkload {
    let keyCount: Int
    let keySize: Int
    let valueSize: Int
    let skew: Double
    let getFraction: Double
    /// Cumulative probabilities of key ranks 0..<keyCount.
    private let cumulative: [Double]
    /// Every SET's value.
    let valueBytes: [UInt8]

    init(keyCount: Int, keySize: Int, valueSize: Int, skew: Double, getFraction: Double) {
        self.keyCount = keyCount
        self.keySize = keySize
        self.valueSize = valueSize
        self.skew = skew
        self.getFraction = getFraction
        var weights = (1...keyCount).map { 1.0 / pow(Double($0), skew) }
        let total = weights.reduce(0, +)
        var running = 0.0
        for index in weights.indices {
            running += weights[index] / total
            weights[index] = running
        }
        cumulative = weights
        valueBytes = [UInt8](repeating: UInt8(ascii: "v"), count: valueSize)
    }

    /// Key `index`: "key:" and the decimal index, zero-padded to `keySize` bytes.
    func key(_ index: Int) -> [UInt8] {
        let digits = Array(String(index).utf8)
        return Array("key:".utf8) + [UInt8](repeating: UInt8(ascii: "0"), count: max(0, keySize - 4 - digits.count)) + digits
    }

    /// A Zipf-distributed key rank for a uniform `draw` in [0, 1).
    func rank(for draw: Double) -> Int {
        var low = 0
        var high = keyCount - 1
        while low < high {
            let middle = (low + high) / 2
            if cumulative[middle] < draw { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The SET request storing key `index`.
    func setRequest(_ index: Int) -> [UInt8] {
        Array("set ".utf8) + key(index) + Array(" 0 0 \(valueSize)\r\n".utf8) + valueBytes + Array("\r\n".utf8)
    }

    /// The GET request for key `index`.
    func getRequest(_ index: Int) -> [UInt8] { Array("get ".utf8) + key(index) + Array("\r\n".utf8) }
}

#if canImport(Glibc)
import Glibc
#endif
