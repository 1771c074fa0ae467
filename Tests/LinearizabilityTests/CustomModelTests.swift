import Testing
@testable import Linearizability

/// A model defined outside the module: a counter with increment (returns the new value) and read.
/// Proves `Model` is usable for other objects, and that the default (single) partition works.
struct CounterModel: Model {
    enum Input: Sendable { case increment, read }
    var initialState: Int { 0 }

    func step(_ state: Int, _ input: Input, _ output: Int?) -> Int? {
        switch input {
        case .increment:
            guard output == nil || output == state + 1 else { return nil }
            return state + 1
        case .read:
            guard output == nil || output == state else { return nil }
            return state
        }
    }
}

@Test func aCustomModelIsCheckedWithTheDefaultPartition() {
    typealias CounterOp = Operation<CounterModel.Input, Int>
    let checker = LinearizabilityChecker(model: CounterModel())
    let concurrentIncrements = [
        CounterOp(clientID: 1, input: .increment, callTime: 0, output: 2, returnTime: 10),
        CounterOp(clientID: 2, input: .increment, callTime: 1, output: 1, returnTime: 5),
        CounterOp(clientID: 3, input: .read, callTime: 11, output: 2, returnTime: 12),
    ]
    #expect(checker.check(concurrentIncrements) == .linearizable)
    let lostIncrement = [
        CounterOp(clientID: 1, input: .increment, callTime: 0, output: 1, returnTime: 1),
        CounterOp(clientID: 2, input: .increment, callTime: 2, output: 1, returnTime: 3),
    ]
    #expect(!checker.check(lostIncrement).isLinearizable)
    let maybeIncremented = [
        CounterOp(clientID: 1, input: .increment, callTime: 0, output: nil, returnTime: nil),
        CounterOp(clientID: 2, input: .read, callTime: 2, output: 1, returnTime: 3),
        CounterOp(clientID: 2, input: .increment, callTime: 4, output: 2, returnTime: 5),
    ]
    #expect(checker.check(maybeIncremented) == .linearizable)
}

@Test func theSearchBudgetYieldsUnknownInsteadOfHanging() {
    typealias CounterOp = Operation<CounterModel.Input, Int>
    // 14 fully concurrent increments with one impossible read: exhaustive search is exponential, memoised it
    // is not, but a tiny budget must stop early and say so.
    var history = (0..<14).map {
        CounterOp(clientID: $0, input: .increment, callTime: 0, output: nil, returnTime: nil)
    }
    history.append(CounterOp(clientID: 99, input: .read, callTime: 1, output: 100, returnTime: 2))
    #expect(LinearizabilityChecker(model: CounterModel(), stepBudget: 50).check(history) == .unknown)
    #expect(!LinearizabilityChecker(model: CounterModel()).check(history).isLinearizable)
}
