import Synchronization
import Testing

@testable import Core

/// Counts how many bodies run at once under one key, and the most ever seen.
final class Occupancy: Sendable {
    private let state = Mutex<(now: Int, most: Int, writerOverlap: Bool)>((0, 0, false))

    func enter(exclusive: Bool) {
        state.withLock { value in
            value.now += 1
            value.most = max(value.most, value.now)
            if exclusive && value.now > 1 { value.writerOverlap = true }
        }
    }

    func leave() { state.withLock { $0.now -= 1 } }

    var most: Int { state.withLock { $0.most } }
    var writerOverlapped: Bool { state.withLock { $0.writerOverlap } }
}

@Suite struct KeyedLockTests {
    @Test func sharedHoldersRunTogetherAndExclusiveOnesAlone() async {
        let lock = KeyedLock()
        let occupancy = Occupancy()
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<60 {
                let exclusive = index % 10 == 0
                group.addTask {
                    let body: @Sendable () async -> Void = {
                        occupancy.enter(exclusive: exclusive)
                        try? await Task.sleep(for: .milliseconds(5))
                        occupancy.leave()
                    }
                    if exclusive {
                        await lock.withLock("k", body)
                    } else {
                        await lock.withSharedLock("k", body)
                    }
                }
            }
        }
        #expect(occupancy.most > 1, "shared holders never overlapped")
        #expect(!occupancy.writerOverlapped, "an exclusive holder ran alongside another")
    }

    @Test func exclusiveHoldersOfOneKeyNeverOverlapAndOtherKeysDoNotWait() async {
        let lock = KeyedLock()
        let occupancy = Occupancy()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    await lock.withLock("same") {
                        occupancy.enter(exclusive: true)
                        try? await Task.sleep(for: .milliseconds(1))
                        occupancy.leave()
                    }
                }
            }
        }
        #expect(occupancy.most == 1)
        let other = Occupancy()
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<10 {
                group.addTask {
                    await lock.withLock("key-\(index)") {
                        other.enter(exclusive: false)
                        try? await Task.sleep(for: .milliseconds(20))
                        other.leave()
                    }
                }
            }
        }
        #expect(other.most > 1)
    }
}
