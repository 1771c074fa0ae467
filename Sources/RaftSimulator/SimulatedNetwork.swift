import Raft

/// The simulated network: a directed reachability matrix (for partitions) and per-message fate (loss,
/// duplication, delay, long delays that reorder). Clients talk to nodes directly and are not partitioned.
struct SimulatedNetwork: Sendable {
    private var blocked: [[Bool]]
    /// When true (after faults heal), messages are neither lost nor duplicated nor delayed for long.
    var isQuiet = false

    init(nodeCount: Int) {
        blocked = Array(repeating: Array(repeating: false, count: nodeCount + 1), count: nodeCount + 1)
    }

    func canDeliver(from: NodeID, to: NodeID) -> Bool {
        guard from < blocked.count, to < blocked.count else { return false }
        return !blocked[Int(from)][Int(to)]
    }

    var isPartitioned: Bool { blocked.contains { $0.contains(true) } }

    mutating func heal() {
        for row in blocked.indices {
            for column in blocked[row].indices { blocked[row][column] = false }
        }
    }

    /// Blocks messages from every node in `sources` to every node in `targets`.
    mutating func block(from sources: [NodeID], to targets: [NodeID]) {
        for source in sources where source < blocked.count {
            for target in targets where target < blocked.count && target != source {
                blocked[Int(source)][Int(target)] = true
            }
        }
    }

    /// The delivery delays of one message: empty if lost, two entries if duplicated.
    func fate(of message: Message, config: SimulationConfig, random: inout SeededGenerator) -> [Int] {
        func roll() -> Int { Int(random.next() % 1000) }
        func delay() -> Int {
            if !isQuiet, roll() < config.longDelayPerMille {
                return 20 + Int(random.next() % 180)
            }
            return 1 + Int(random.next() % 10)
        }
        guard canDeliver(from: message.from, to: message.to) else { return [] }
        if !isQuiet, roll() < config.dropPerMille { return [] }
        var delays = [delay()]
        if !isQuiet, roll() < config.duplicatePerMille {
            delays.append(delay())
        }
        return delays
    }
}
