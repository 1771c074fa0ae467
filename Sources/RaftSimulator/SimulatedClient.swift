import Linearizability
import Raft

/// A client of the simulated cluster: issues one operation at a time to the node it believes leads.
struct SimulatedClient: Sendable {
    let id: Int
    var target: NodeID
    var current: PendingOperation?
    var lastSeen: [String: String] = [:]

    init(id: Int, target: NodeID) {
        self.id = id
        self.target = target
    }
}

/// A client operation in flight.
struct PendingOperation: Sendable {
    var operationID: UInt64
    var input: KeyValueModel.Input
    var callTime: Int
    var node: NodeID
}
