#if os(Linux)
/// One TPACKET_V2 ring inside the port's mapping: the address of every frame, in ring order.
///
/// Contract: the table is allocated once at setup; `deallocate()` frees it (not the mapping).
struct PacketRing {
    let geometry: PacketRingGeometry
    private let frames: UnsafeMutablePointer<UnsafeMutableRawPointer>

    /// Describes the ring whose first block starts at `base`.
    init(geometry: PacketRingGeometry, base: UnsafeMutableRawPointer) {
        self.geometry = geometry
        frames = .allocate(capacity: geometry.frameCount)
        for index in 0..<geometry.frameCount {
            let block = index / geometry.framesPerBlock
            let slot = index % geometry.framesPerBlock
            frames[index] = base + block * geometry.blockSize + slot * geometry.frameSize
        }
    }

    var count: Int { geometry.frameCount }

    /// The frame at ring position `index` (0..<count).
    @inline(__always)
    func frame(_ index: Int) -> UnsafeMutableRawPointer { frames[index] }

    /// The ring position `distance` frames after `index`, wrapping around.
    @inline(__always)
    func position(_ index: Int, advancedBy distance: Int) -> Int {
        let position = index &+ distance
        return position >= geometry.frameCount ? position &- geometry.frameCount : position
    }

    func deallocate() { frames.deallocate() }
}
#endif
