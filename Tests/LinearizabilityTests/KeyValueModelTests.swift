import Testing
@testable import Linearizability

typealias KVOp = Operation<KeyValueModel.Input, KeyValueModel.Output>

private func op(
    _ client: Int, _ input: KeyValueModel.Input, _ call: Int, _ output: KeyValueModel.Output?, _ ret: Int?
) -> KVOp {
    KVOp(clientID: client, input: input, callTime: call, output: output, returnTime: ret)
}

private let checker = LinearizabilityChecker(model: KeyValueModel())

@Test func emptyHistoryIsLinearizable() {
    #expect(checker.check([]) == .linearizable)
}

@Test func sequentialPutThenGetIsLinearizable() {
    let history = [
        op(1, .put(key: "a", value: "1"), 0, .ok, 1),
        op(1, .get(key: "a"), 2, .value("1"), 3),
    ]
    #expect(checker.check(history) == .linearizable)
}

@Test func staleReadAfterCompletedWriteIsRejected() {
    let history = [
        op(1, .put(key: "a", value: "1"), 0, .ok, 1),
        op(1, .put(key: "a", value: "2"), 2, .ok, 3),
        op(2, .get(key: "a"), 4, .value("1"), 5),
    ]
    #expect(!checker.check(history).isLinearizable)
}

@Test func concurrentReadMaySeeEitherValue() {
    for seen in ["1", "2"] {
        let history = [
            op(1, .put(key: "a", value: "1"), 0, .ok, 1),
            op(1, .put(key: "a", value: "2"), 2, .ok, 10),
            op(2, .get(key: "a"), 3, .value(seen), 5),
        ]
        #expect(checker.check(history) == .linearizable, "read of \(seen)")
    }
}

@Test func readsMustNotGoBackInTime() {
    // Two reads, the second after the first returned, see the new then the old value: not linearizable
    // even though each read alone overlaps the write.
    let history = [
        op(1, .put(key: "a", value: "1"), 0, .ok, 1),
        op(1, .put(key: "a", value: "2"), 2, .ok, 20),
        op(2, .get(key: "a"), 3, .value("2"), 5),
        op(3, .get(key: "a"), 6, .value("1"), 8),
    ]
    #expect(!checker.check(history).isLinearizable)
}

@Test func readOfNeverWrittenValueIsRejected() {
    let history = [op(1, .get(key: "a"), 0, .value("x"), 1)]
    #expect(!checker.check(history).isLinearizable)
    #expect(checker.check([op(1, .get(key: "a"), 0, .value(nil), 1)]) == .linearizable)
}

@Test func compareAndSetSemantics() {
    let ok = [
        op(1, .put(key: "k", value: "1"), 0, .ok, 1),
        op(1, .compareAndSet(key: "k", expected: "1", new: "2"), 2, .swapped(true), 3),
        op(1, .compareAndSet(key: "k", expected: "1", new: "3"), 4, .swapped(false), 5),
        op(1, .get(key: "k"), 6, .value("2"), 7),
    ]
    #expect(checker.check(ok) == .linearizable)
    // Two concurrent CAS from the same expected value cannot both succeed.
    let doubleSpend = [
        op(1, .put(key: "k", value: "1"), 0, .ok, 1),
        op(1, .compareAndSet(key: "k", expected: "1", new: "2"), 2, .swapped(true), 10),
        op(2, .compareAndSet(key: "k", expected: "1", new: "3"), 3, .swapped(true), 11),
    ]
    #expect(!checker.check(doubleSpend).isLinearizable)
    let casOnAbsent = [op(1, .compareAndSet(key: "k", expected: nil, new: "a"), 0, .swapped(true), 1)]
    #expect(checker.check(casOnAbsent) == .linearizable)
}

@Test func indeterminateWriteMayOrMayNotHaveHappened() {
    let timedOutWrite = op(1, .put(key: "a", value: "1"), 0, nil, nil)
    let sawIt = [timedOutWrite, op(2, .get(key: "a"), 5, .value("1"), 6)]
    let didNotSeeIt = [timedOutWrite, op(2, .get(key: "a"), 5, .value(nil), 6)]
    #expect(checker.check(sawIt) == .linearizable)
    #expect(checker.check(didNotSeeIt) == .linearizable)
    // ...but once observed it cannot be unobserved.
    let flipFlop = [
        timedOutWrite,
        op(2, .get(key: "a"), 5, .value("1"), 6),
        op(2, .get(key: "a"), 7, .value(nil), 8),
    ]
    #expect(!checker.check(flipFlop).isLinearizable)
}

@Test func indeterminateWriteCannotTakeEffectBeforeItsInvocation() {
    let history = [
        op(2, .get(key: "a"), 0, .value("1"), 1),
        op(1, .put(key: "a", value: "1"), 5, nil, nil),
    ]
    #expect(!checker.check(history).isLinearizable)
}

@Test func indeterminateCompareAndSetIsEvaluatedAgainstTheStateAtItsPoint() {
    let history = [
        op(1, .put(key: "k", value: "1"), 0, .ok, 1),
        op(2, .compareAndSet(key: "k", expected: "1", new: "2"), 2, nil, nil),
        op(3, .get(key: "k"), 3, .value("2"), 4),
        op(3, .put(key: "k", value: "1"), 5, .ok, 6),
        op(3, .get(key: "k"), 7, .value("1"), 8),
    ]
    #expect(checker.check(history) == .linearizable)
    let impossible = [
        op(1, .put(key: "k", value: "0"), 0, .ok, 1),
        op(2, .compareAndSet(key: "k", expected: "1", new: "2"), 2, nil, nil),
        op(3, .get(key: "k"), 3, .value("2"), 4),
    ]
    #expect(!checker.check(impossible).isLinearizable)
}

@Test func keysArePartitionedIndependently() {
    let history = [
        op(1, .put(key: "a", value: "1"), 0, .ok, 1),
        op(2, .put(key: "b", value: "1"), 0, .ok, 1),
        op(1, .get(key: "a"), 2, .value("1"), 3),
        op(2, .get(key: "b"), 2, .value(nil), 3),
    ]
    let result = checker.check(history)
    guard case .notLinearizable(let partition, let operations) = result else {
        Issue.record("expected a violation, got \(result)")
        return
    }
    #expect(partition == 1)
    #expect(operations.count == 2)
}

@Test func largeConcurrentHistoryIsDecided() {
    // 8 clients, 400 operations on 4 keys, generated from a true sequential execution with overlapping
    // intervals: must be linearizable, and a single corrupted read must be caught.
    var generator = SplitMix(seed: 7)
    var values: [String: String] = [:]
    var history: [KVOp] = []
    var time = 0
    for k in 0..<400 {
        let key = "k\(generator.next() % 4)"
        let client = Int(generator.next() % 8)
        let call = time
        time += 2
        let input: KeyValueModel.Input
        let output: KeyValueModel.Output
        switch generator.next() % 3 {
        case 0:
            input = .put(key: key, value: "v\(k)")
            values[key] = "v\(k)"
            output = .ok
        case 1:
            input = .get(key: key)
            output = .value(values[key])
        default:
            let expected = values[key]
            input = .compareAndSet(key: key, expected: expected, new: "c\(k)")
            values[key] = "c\(k)"
            output = .swapped(true)
        }
        history.append(op(client, input, call, output, call + 3 + Int(generator.next() % 3)))
    }
    #expect(checker.check(history) == .linearizable)
    if let index = history.lastIndex(where: { if case .get = $0.input { return true } else { return false } }) {
        history[index].output = .value("never-written")
        #expect(!checker.check(history).isLinearizable)
    }
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
