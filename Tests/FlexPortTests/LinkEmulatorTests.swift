import FlexPort
import FlexWire
import Testing

@Suite struct LinkEmulatorTests {
    @Test func passesFramesUnchangedWhenNothingIsSet() throws {
        let (emulator, wire, _) = try makeEmulatedLink(LinkEmulatorSettings())
        let frames = (0..<100).map { sequencedFrame(UInt32($0), length: 60 + $0) }
        for frame in frames { #expect(emulator.transmit(frame)) }
        #expect(drainFrames(wire.b) == frames)
        #expect(emulator.emulatorStatistics.delivered == 100)
        #expect(emulator.framesInFlight == 0)
        // Receive passes through.
        #expect(wire.b.transmit(frames[0]))
        #expect(drainFrames(emulator) == [frames[0]])
        #expect(emulator.macAddress == wire.a.macAddress)
    }

    @Test func lossRateMatchesTheSetting() throws {
        var settings = LinkEmulatorSettings()
        settings.dropProbability = 0.05
        settings.seed = 2024
        let (emulator, wire, _) = try makeEmulatedLink(settings)
        let total: UInt32 = 200_000
        let (entered, frames) = sendInChunks(total, through: emulator, receivedBy: wire.b)
        let received = sequences(of: frames)
        let lost = emulator.emulatorStatistics.droppedByLoss
        let lossRate = Double(lost) / Double(total)
        #expect(lossRate >= 0.045 && lossRate <= 0.055)
        #expect(UInt64(entered) + lost == UInt64(total))
        #expect(received.count == entered)
        #expect(received == received.sorted(), "loss alone never reorders")
        #expect(emulator.statistics.transmitDrops == lost)
    }

    @Test func deliveryTimesFollowRateAndDelayExactly() throws {
        var settings = LinkEmulatorSettings()
        settings.rateBitsPerSecond = 3_000_000_000  // 3 bits per nanosecond: 1000 bytes take 2666.67 ns
        settings.propagationDelayNanoseconds = 50_000
        let (emulator, wire, clock) = try makeEmulatedLink(settings)
        sendSequenced(0..<3, through: emulator, length: 1000)
        // Serialization ends at 2666.67, 5333.33 and 8000 ns: whole nanoseconds, rounded down, with the
        // fraction carried to the next frame so that no time is lost.
        var expectedArrivals: [UInt64] = [52_666, 55_333, 58_000]
        // A frame sent once the link is idle again starts its own serialization.
        clock.set(to: 10_000)
        sendSequenced(3..<4, through: emulator, length: 1000)
        expectedArrivals.append(10_000 + 2_666 + 50_000)
        var delivered: [UInt32] = []
        for (position, arrival) in expectedArrivals.enumerated() {
            clock.set(to: arrival - 1)
            emulator.poll()
            delivered += sequences(of: drainFrames(wire.b))
            #expect(delivered.count == position, "nothing before \(arrival) ns")
            clock.set(to: arrival)
            emulator.poll()
            delivered += sequences(of: drainFrames(wire.b))
            #expect(delivered == (0...UInt32(position)).map { $0 }, "frame \(position) at \(arrival) ns")
        }
    }

    @Test func dropTailDropsFramesBeyondTheQueueLimit() throws {
        var settings = LinkEmulatorSettings()
        settings.rateBitsPerSecond = 1_000_000_000
        settings.queueLimit = 100
        let (emulator, wire, clock) = try makeEmulatedLink(settings)
        #expect(sendSequenced(0..<150, through: emulator) == 100)
        #expect(emulator.emulatorStatistics.droppedByQueue == 50)
        #expect(emulator.statistics.transmitDrops == 50)
        clock.advance(by: 1_000_000)
        emulator.poll()
        #expect(sequences(of: drainFrames(wire.b)) == Array(0..<100))
        // The queue has drained: a new burst is accepted again.
        #expect(sendSequenced(150..<160, through: emulator) == 10)
    }

    @Test func marksECTFramesOnlyWhenTheQueueExceedsTheThreshold() throws {
        var settings = LinkEmulatorSettings()
        settings.rateBitsPerSecond = 1_000_000_000  // 100-byte frames: 800 ns each
        settings.ecnMarkingThreshold = 5
        let (emulator, wire, clock) = try makeEmulatedLink(settings)
        // Codepoints cycle not-ECT, ECT(1), ECT(0), CE; every fifth frame is not IPv4 at all.
        func frame(_ index: Int) -> [UInt8] {
            if index % 5 == 4 {
                var other = sequencedFrame(UInt32(index), length: 100)
                other[12] = 0x86
                other[13] = 0xdd
                other[14] = 0x45
                other[15] = 0x02
                return other
            }
            return ipv4Frame(ecn: UInt8(index % 4), sequence: UInt32(index))
        }
        let sent = (0..<40).map(frame)
        for frame in sent { #expect(emulator.transmit(frame)) }
        clock.advance(by: 1_000_000)
        emulator.poll()
        let received = drainFrames(wire.b)
        #expect(received.count == 40)
        var expectedMarks = 0
        for (index, frame) in received.enumerated() {
            // All 40 were committed at one instant, so frame `index` found `index` frames queued.
            let ecn = sent[index][15] & 0b11
            let shouldMark = index % 5 != 4 && index > 5 && (ecn == 0b01 || ecn == 0b10)
            if shouldMark { expectedMarks += 1 }
            if index % 5 == 4 {
                #expect(frame == sent[index], "non-IPv4 frame \(index) untouched")
                continue
            }
            #expect(frame[15] & 0b11 == (shouldMark ? 0b11 : ecn), "frame \(index)")
            #expect(frame[15] & 0xfc == sent[index][15] & 0xfc, "DSCP kept")
            #expect(ipv4ChecksumIsValid(frame), "checksum of frame \(index)")
        }
        #expect(expectedMarks > 0)
        #expect(emulator.emulatorStatistics.marked == UInt64(expectedMarks))

        // Ten frames at t = 0; at 6400 ns eight have left, so the next finds two queued: no mark.
        clock.set(to: 2_000_000)
        for index in 0..<10 { #expect(emulator.transmit(ipv4Frame(ecn: 0b10, sequence: UInt32(index)))) }
        clock.advance(by: 6_400)
        #expect(emulator.transmit(ipv4Frame(ecn: 0b10, sequence: 10)))
        clock.advance(by: 1_000_000)
        emulator.poll()
        let ecns = drainFrames(wire.b).map { $0[15] & 0b11 }
        #expect(ecns == [0b10, 0b10, 0b10, 0b10, 0b10, 0b10, 0b11, 0b11, 0b11, 0b11, 0b10])
    }

    @Test func reorderingLetsLaterFramesOvertakeAtTheSetRate() throws {
        var settings = LinkEmulatorSettings()
        settings.reorderProbability = 0.1
        settings.propagationDelayNanoseconds = 10_000
        settings.reorderHoldNanoseconds = 20_000
        settings.seed = 99
        let (emulator, wire, clock) = try makeEmulatedLink(settings)
        let total: UInt32 = 20_000
        var received: [UInt32] = []
        for sequence in 0..<total {
            clock.advance(by: 1_000)
            sendSequenced(sequence..<sequence + 1, through: emulator)
            if sequence % 256 == 0 { received += sequences(of: drainFrames(wire.b)) }
        }
        clock.advance(by: 1_000_000)
        emulator.poll()
        received += sequences(of: drainFrames(wire.b))
        #expect(received.sorted() == Array(0..<total))
        var highest: UInt32 = 0
        var late = 0
        for sequence in received {
            if sequence < highest { late += 1 }
            highest = max(highest, sequence)
        }
        let reordered = emulator.emulatorStatistics.reordered
        #expect(UInt64(late) == reordered, "every held frame is overtaken")
        let rate = Double(reordered) / Double(total)
        #expect(rate >= 0.09 && rate <= 0.11)
    }

    @Test func duplicationAddsAdjacentIdenticalCopiesAtTheSetRate() throws {
        var settings = LinkEmulatorSettings()
        settings.duplicateProbability = 0.02
        settings.seed = 5
        let (emulator, wire, _) = try makeEmulatedLink(settings)
        let total: UInt32 = 100_000
        let received = sendInChunks(total, through: emulator, receivedBy: wire.b).received
        let duplicated = emulator.emulatorStatistics.duplicated
        #expect(received.count == Int(total) + Int(duplicated))
        let repeats = zip(received.dropFirst(), received).filter { $0 == $1 }.count
        #expect(UInt64(repeats) == duplicated)
        #expect(Array(Set(sequences(of: received))).sorted() == Array(0..<total))
        let rate = Double(duplicated) / Double(total)
        #expect(rate >= 0.018 && rate <= 0.022)
    }

    @Test func corruptionFlipsExactlyOneBitAtTheSetRate() throws {
        var settings = LinkEmulatorSettings()
        settings.corruptProbability = 0.01
        settings.seed = 11
        let (emulator, wire, _) = try makeEmulatedLink(settings)
        let total: UInt32 = 100_000
        let received = sendInChunks(total, through: emulator, receivedBy: wire.b).received
        #expect(received.count == Int(total))
        // Nothing else is impaired, so frame i arrives as the i-th.
        let flippedBits = received.enumerated().map { position, frame in
            zip(frame, sequencedFrame(UInt32(position))).reduce(0) { $0 + ($1.0 ^ $1.1).nonzeroBitCount }
        }.filter { $0 > 0 }
        #expect(flippedBits.allSatisfy { $0 == 1 })
        #expect(UInt64(flippedBits.count) == emulator.emulatorStatistics.corrupted)
        let rate = Double(flippedBits.count) / Double(total)
        #expect(rate >= 0.0085 && rate <= 0.0115)
    }

    @Test func sameSeedSameOutcomeOtherSeedOtherOutcome() throws {
        func run(seed: UInt64) throws -> ([[UInt8]], LinkEmulatorStatistics) {
            var settings = LinkEmulatorSettings()
            settings.dropProbability = 0.1
            settings.duplicateProbability = 0.1
            settings.corruptProbability = 0.1
            settings.reorderProbability = 0.1
            settings.propagationDelayNanoseconds = 5_000
            settings.reorderHoldNanoseconds = 3_000
            settings.seed = seed
            let (emulator, wire, clock) = try makeEmulatedLink(settings)
            var received: [[UInt8]] = []
            for start in stride(from: UInt32(0), to: 2_000, by: 10) {
                clock.advance(by: 1_000)
                sendSequenced(start..<start + 10, through: emulator)
                received += drainFrames(wire.b)
            }
            clock.advance(by: 1_000_000)
            emulator.poll()
            return (received + drainFrames(wire.b), emulator.emulatorStatistics)
        }
        let first = try run(seed: 1)
        let again = try run(seed: 1)
        let other = try run(seed: 2)
        #expect(first.0 == again.0)
        #expect(first.1 == again.1)
        #expect(first.0 != other.0)
    }

    @Test func poolLimitsReservationsAndForeignFramesAreCopied() throws {
        var settings = LinkEmulatorSettings()
        settings.poolCapacity = 8
        settings.propagationDelayNanoseconds = 1_000
        let (emulator, wire, clock) = try makeEmulatedLink(settings)
        let batch = FrameBatch(capacity: 16)
        #expect(emulator.reserveTransmit(into: batch, count: 16) == 8)
        write(sequencedFrame(0), into: batch, at: 0)
        #expect(emulator.commitTransmit(batch) == 1)
        // Seven buffers came back; one is in flight.
        #expect(emulator.reserveTransmit(into: batch, count: 16) == 7)
        #expect(emulator.commitTransmit(batch) == 0)
        let foreign = sequencedFrame(1)
        var storage = foreign
        storage.withUnsafeMutableBytes { bytes in
            batch.append(Frame(bytes: bytes.baseAddress!, length: foreign.count, capacity: foreign.count))
            #expect(emulator.commitTransmit(batch) == 1)
        }
        batch.append(Frame(bytes: UnsafeMutableRawPointer(bitPattern: 64)!, length: 5000, capacity: 5000))
        #expect(emulator.commitTransmit(batch) == 0)
        #expect(emulator.emulatorStatistics.rejected == 1)
        clock.advance(by: 1_000)
        emulator.poll()
        #expect(drainFrames(wire.b) == [sequencedFrame(0), foreign])
    }

    /// On real time, a thread sleeping in `waitForFrames` wakes when a delayed frame is due and
    /// delivers it, instead of sleeping out its long timeout.
    @Test func waitingDeliversDelayedFramesWhenTheyAreDue() throws {
        var settings = LinkEmulatorSettings()
        settings.propagationDelayNanoseconds = 2_000_000
        let wire = try MemoryWire(capacity: 16)
        let emulator = LinkEmulator(wrapping: wire.a, settings: settings, timeSource: MonotonicTimeSource())
        #expect(emulator.transmit(sequencedFrame(7)))
        #expect(drainFrames(wire.b).isEmpty)
        var waits = 0
        var received: [[UInt8]] = []
        while received.isEmpty && waits < 3 {
            _ = emulator.waitForFrames(timeoutNanoseconds: 10_000_000_000)
            waits += 1
            received = drainFrames(wire.b)
        }
        #expect(received == [sequencedFrame(7)])
    }
}
