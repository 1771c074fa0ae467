import Testing
@testable import Cluster

@Suite struct ReconnectBackoffTests {
    @Test func delaysGrowExponentiallyWithinHalfToFullCap() {
        let backoff = ReconnectBackoff(initial: .milliseconds(100), maximum: .seconds(2))
        #expect(backoff.cap(forAttempt: 0) == .milliseconds(100))
        #expect(backoff.cap(forAttempt: 3) == .milliseconds(800))
        #expect(backoff.cap(forAttempt: 50) == .seconds(2))
        var generator = SplitMix64(seed: testSeed("delaysGrowExponentiallyWithinHalfToFullCap"))
        for attempt in 0..<20 {
            let cap = backoff.cap(forAttempt: attempt)
            for _ in 0..<50 {
                let delay = backoff.delay(forAttempt: attempt, using: &generator)
                #expect(delay <= cap && delay >= cap / 2)
            }
        }
    }

    @Test func sameSeedSameSchedule() {
        let backoff = ReconnectBackoff()
        var a = SplitMix64(seed: 42)
        var b = SplitMix64(seed: 42)
        let first = (0..<10).map { backoff.delay(forAttempt: $0, using: &a) }
        let second = (0..<10).map { backoff.delay(forAttempt: $0, using: &b) }
        #expect(first == second)
    }
}

@Suite struct OutboundQueueTests {
    @Test func dropsOldestWhenCountOrBytesOverflow() {
        var queue = OutboundQueue<Int>(maximumCount: 3, maximumBytes: 100)
        #expect(queue.enqueue(1, size: 10).isEmpty)
        #expect(queue.enqueue(2, size: 10).isEmpty)
        #expect(queue.enqueue(3, size: 10).isEmpty)
        #expect(queue.enqueue(4, size: 10) == [1])
        #expect(queue.enqueue(5, size: 80) == [2])  // the count limit evicts 2; then 20 + 80 bytes fit
        #expect(queue.count == 3 && queue.byteCount == 100)
        #expect(queue.enqueue(6, size: 95) == [3, 4, 5])  // the byte limit evicts until 95 fits
        #expect(queue.count == 1 && queue.byteCount == 95)
        #expect(queue.enqueue(7, size: 500) == [6])  // larger than the limit: kept alone
        #expect(queue.popFirst() == 7)
        #expect(queue.popFirst() == nil)
        #expect(queue.byteCount == 0)
    }

    @Test func keepsFIFOOrderAcrossCompaction() {
        var queue = OutboundQueue<Int>(maximumCount: 10_000, maximumBytes: 1_000_000)
        var expected = 0
        for value in 0..<5000 {
            _ = queue.enqueue(value, size: 1)
            if value % 3 != 0, let first = queue.popFirst() {
                #expect(first == expected)
                expected += 1
            }
        }
        while let first = queue.popFirst() {
            #expect(first == expected)
            expected += 1
        }
        #expect(expected == 5000)
    }
}
