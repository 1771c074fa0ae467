/// The verdict on a history.
public enum LinearizabilityResult: Sendable, Equatable {
    case linearizable
    /// No linearization exists. `partition` is the index of the first failing partition; `operations`
    /// describes its operations (ordered by invocation) for the report.
    case notLinearizable(partition: Int, operations: [String])
    /// The search exceeded its step budget without deciding.
    case unknown

    public var isLinearizable: Bool { self == .linearizable }
}

/// Decides whether a history of concurrent operations is linearizable with respect to a `Model`: whether each
/// operation can be given a point in time between its invocation and its return (any time after invocation
/// for operations with unknown outcome, or never) such that the sequence of operations in that order is legal
/// for the model.
///
/// The search is the Wing and Gong algorithm with Lowe's memoisation of (linearized set, state), as used by
/// Porcupine and Knossos, run separately on each partition of the history.
public struct LinearizabilityChecker<M: Model>: Sendable {
    public let model: M
    /// The most search steps spent on one partition before answering `.unknown`.
    public var stepBudget: Int

    public init(model: M, stepBudget: Int = 5_000_000) {
        self.model = model
        self.stepBudget = stepBudget
    }

    public func check(_ history: [Operation<M.Input, M.Output>]) -> LinearizabilityResult {
        var sawUnknown = false
        for (index, partition) in model.partition(history).enumerated() {
            switch checkPartition(partition) {
            case .linearizable:
                continue
            case .unknown:
                sawUnknown = true
            case .notLinearizable(_, let operations):
                return .notLinearizable(partition: index, operations: operations)
            }
        }
        return sawUnknown ? .unknown : .linearizable
    }

    private struct CacheKey: Hashable {
        var linearized: Bitset
        var state: M.State
    }

    func checkPartition(_ operations: [Operation<M.Input, M.Output>]) -> LinearizabilityResult {
        let count = operations.count
        guard count > 0 else { return .linearizable }
        // Events: 2k is the call of operation k, 2k+1 its return. Sorted by time; calls before returns at
        // equal times (treating touching operations as concurrent, which never rejects a valid history).
        var events: [(time: Int, isReturn: Bool, event: Int)] = []
        events.reserveCapacity(2 * count)
        for (k, operation) in operations.enumerated() {
            events.append((operation.callTime, false, 2 * k))
            events.append((operation.returnTime ?? Int.max, true, 2 * k + 1))
        }
        events.sort { a, b in
            if a.time != b.time { return a.time < b.time }
            if a.isReturn != b.isReturn { return !a.isReturn }
            return a.event < b.event
        }
        // A doubly linked list over the events; node `head` (index 2*count) is the sentinel.
        let head = 2 * count
        var next = [Int](repeating: -1, count: 2 * count + 1)
        var previous = [Int](repeating: -1, count: 2 * count + 1)
        var last = head
        for item in events {
            next[last] = item.event
            previous[item.event] = last
            last = item.event
        }

        func lift(_ call: Int) {
            let ret = call + 1
            next[previous[call]] = next[call]
            if next[call] >= 0 { previous[next[call]] = previous[call] }
            next[previous[ret]] = next[ret]
            if next[ret] >= 0 { previous[next[ret]] = previous[ret] }
        }
        func unlift(_ call: Int) {
            let ret = call + 1
            if next[ret] >= 0 { previous[next[ret]] = ret }
            next[previous[ret]] = ret
            if next[call] >= 0 { previous[next[call]] = call }
            next[previous[call]] = call
        }

        var state = model.initialState
        var linearized = Bitset(count: count)
        var cache: Set<CacheKey> = []
        var stack: [(call: Int, state: M.State)] = []
        var entry = next[head]
        var steps = 0
        // The deepest point the search reached, and the operation whose return it could not pass there.
        var deepest = (depth: -1, operation: 0)
        func failure() -> LinearizabilityResult {
            let blocked = operations[deepest.operation]
            let end = blocked.returnTime ?? Int.max
            let window = operations.filter { ($0.returnTime ?? Int.max) >= blocked.callTime && $0.callTime <= end }
            let described = window.sorted { $0.callTime < $1.callTime }.map(model.describe)
            return .notLinearizable(
                partition: 0,
                operations: ["cannot linearize: " + model.describe(blocked)] + described.map { "  concurrent: " + $0 }
            )
        }
        while next[head] >= 0 {
            steps += 1
            if steps > stepBudget { return .unknown }
            guard entry >= 0 else { return failure() }
            let operationIndex = entry / 2
            if entry % 2 == 0 {
                let operation = operations[operationIndex]
                if let newState = model.step(state, operation.input, operation.output) {
                    var newLinearized = linearized
                    newLinearized.insert(operationIndex)
                    if cache.insert(CacheKey(linearized: newLinearized, state: newState)).inserted {
                        stack.append((entry, state))
                        state = newState
                        linearized = newLinearized
                        lift(entry)
                        entry = next[head]
                        continue
                    }
                }
                entry = next[entry]
            } else {
                // Reached a return whose call is not linearized yet: backtrack.
                if stack.count > deepest.depth { deepest = (stack.count, operationIndex) }
                guard let top = stack.popLast() else { return failure() }
                state = top.state
                linearized.remove(top.call / 2)
                unlift(top.call)
                entry = next[top.call]
            }
        }
        return .linearizable
    }
}

/// A fixed-size set of small integers, hashable, for memoising the search.
struct Bitset: Hashable, Sendable {
    private var words: [UInt64]

    init(count: Int) {
        words = [UInt64](repeating: 0, count: (count + 63) / 64)
    }

    mutating func insert(_ k: Int) { words[k / 64] |= 1 << UInt64(k % 64) }
    mutating func remove(_ k: Int) { words[k / 64] &= ~(1 << UInt64(k % 64)) }
    func contains(_ k: Int) -> Bool { words[k / 64] & (1 << UInt64(k % 64)) != 0 }
}
