@testable import Raft

/// A hand-driven cluster for unit tests: messages queue up and are delivered only when the test says so,
/// every `Ready` is "persisted" into `storage` before its messages are queued, and applied entries are recorded.
struct TestCluster {
    var nodes: [NodeID: RaftNode] = [:]
    var storage: [NodeID: PersistentState] = [:]
    var applied: [NodeID: [Entry]] = [:]
    var readStates: [NodeID: [ReadState]] = [:]
    var installedSnapshots: [NodeID: [Snapshot]] = [:]
    var inFlight: [Message] = []
    /// Messages from or to these nodes are dropped.
    var isolated: Set<NodeID> = []

    static func config(_ id: NodeID, _ change: (inout RaftConfig) -> Void = { _ in }) -> RaftConfig {
        var config = RaftConfig(id: id, electionTimeout: 10, heartbeatInterval: 1, randomSeed: 42)
        change(&config)
        return config
    }

    /// A fresh cluster of `voters`, all bootstrapped with the same configuration.
    init(voters: [NodeID], configure: (inout RaftConfig) -> Void = { _ in }) {
        for id in voters {
            add(id, state: .bootstrap(voters: Set(voters)), configure: configure)
        }
    }

    init() {}

    mutating func add(_ id: NodeID, state: PersistentState, configure: (inout RaftConfig) -> Void = { _ in }) {
        nodes[id] = RaftNode(config: Self.config(id, configure), state: state)
        storage[id] = state
    }

    subscript(_ id: NodeID) -> RaftNode {
        get { nodes[id] ?? RaftNode(config: Self.config(id), state: .joining) }
        set { nodes[id] = newValue }
    }

    /// Processes every pending Ready of a node: persist, queue messages, apply, advance.
    mutating func drain(_ id: NodeID) {
        while nodes[id]?.hasReady == true {
            guard let ready = nodes[id]?.ready() else { return }
            var state = storage[id] ?? .joining
            if let snapshot = ready.snapshot {
                state.snapshot = snapshot
                state.entries = []
                installedSnapshots[id, default: []].append(snapshot)
            }
            if let first = ready.entries.first {
                state.entries.removeAll { $0.index >= first.index }
                state.entries.append(contentsOf: ready.entries)
            }
            if let hardState = ready.hardState { state.hardState = hardState }
            storage[id] = state
            for message in ready.messages where !isolated.contains(message.from) && !isolated.contains(message.to) {
                inFlight.append(message)
            }
            applied[id, default: []].append(contentsOf: ready.committedEntries)
            readStates[id, default: []].append(contentsOf: ready.readStates)
            nodes[id]?.advance(ready)
        }
    }

    mutating func drainAll() {
        for id in nodes.keys.sorted() { drain(id) }
    }

    /// Delivers queued messages (and the messages they cause) until the network is quiet.
    mutating func deliverAll(limit: Int = 100_000, where include: (Message) -> Bool = { _ in true }) {
        drainAll()
        var steps = 0
        while steps < limit, let index = inFlight.firstIndex(where: include) {
            steps += 1
            let message = inFlight.remove(at: index)
            guard !isolated.contains(message.from), !isolated.contains(message.to) else { continue }
            nodes[message.to]?.step(message)
            drain(message.to)
        }
        inFlight.removeAll { !include($0) && (isolated.contains($0.from) || isolated.contains($0.to)) }
    }

    mutating func tick(_ id: NodeID, times: Int = 1) {
        for _ in 0..<times {
            nodes[id]?.tick()
            drain(id)
        }
    }

    /// Ticks every node once and delivers all resulting messages, `rounds` times.
    mutating func run(rounds: Int) {
        for _ in 0..<rounds {
            for id in nodes.keys.sorted() { tick(id) }
            deliverAll()
        }
    }

    /// Makes `id` campaign (skipping the randomised wait) and delivers the election.
    mutating func elect(_ id: NodeID) {
        nodes[id]?.campaign()
        deliverAll()
    }

    var leaders: [NodeID] { nodes.keys.sorted().filter { nodes[$0]?.role == .leader } }

    func terms(of id: NodeID) -> [Term] { nodes[id]?.log.entries.map(\.term) ?? [] }

    /// A restart state with `terms` as the log (entry i has index i).
    static func state(terms: [Term], hardTerm: Term, voters: Set<NodeID>) -> PersistentState {
        var state = PersistentState.bootstrap(voters: voters)
        state.entries = terms.enumerated().map {
            Entry(index: LogIndex($0.offset + 1), term: $0.element, payload: .empty)
        }
        state.hardState = HardState(term: hardTerm, vote: nil, commit: 0)
        return state
    }
}
