extension Array where Element: AnyObject {
    /// Calls `body` with the object at `index` without retaining and releasing it around the call
    /// (which Swift does for an array element whenever the callee is opaque to it): for the
    /// runtime's per-round loops over its endpoints.
    ///
    /// Contract: the array is not changed while `body` runs (a `let` of an owner that lives through
    /// the call), so the array keeps the object alive.
    @inline(__always)
    func withUnretainedElement<Result>(_ index: Int, _ body: (Element) -> Result) -> Result {
        Unmanaged.passUnretained(self[index])._withUnsafeGuaranteedRef(body)
    }
}
