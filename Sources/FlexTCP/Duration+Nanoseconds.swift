extension Duration {
    /// This duration in nanoseconds for a sleep: a negative one counts as zero, one too long for
    /// `Int64` as `Int64.max` (forever).
    var sleepNanoseconds: Int64 {
        let (seconds, attoseconds) = max(self, .zero).components
        return seconds >= Int64.max / 1_000_000_000 ? Int64.max : seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
