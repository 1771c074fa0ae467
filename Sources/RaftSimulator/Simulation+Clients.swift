import Linearizability
import Raft

extension Simulation {
    mutating func clientNext(_ client: Int) {
        guard phase == .faulty, clients[client].current == nil else { return }
        let key = "k\(randomInt(0...(config.keyCount - 1)))"
        let operationID = nextOperationID
        nextOperationID += 1
        let input: KeyValueModel.Input
        switch randomInt(0...9) {
        case 0...3: input = .put(key: key, value: "c\(client)-\(operationID)")
        case 4...7: input = .get(key: key)
        default:
            let expected = chance(perMille: 200) ? nil : clients[client].lastSeen[key]
            input = .compareAndSet(key: key, expected: expected, new: "c\(client)-\(operationID)")
        }
        let target = clients[client].target
        historyClock += 1
        if config.recordTrace { record("client \(client) op \(operationID) \(input) to node \(target)") }
        clients[client].current = PendingOperation(
            operationID: operationID, input: input, callTime: historyClock, node: target
        )
        schedule(.clientTimeout(client, operation: operationID), at: now + config.clientTimeout)
        guard let index = nodeIndex(target), nodes[index].isUp else {
            refuse(operation: operationID)
            return
        }
        do {
            switch input {
            case .get:
                try nodes[index].raft?.readIndex(context: operationID)
                nodes[index].readsAwaitingIndex.insert(operationID)
            case .put, .compareAndSet:
                let command = KeyValueCommand(operationID: operationID, input: input)
                if let entry = try nodes[index].raft?.propose(command.encoded()) {
                    nodes[index].proposals[entry.index] = (operationID, entry.term)
                }
            }
        } catch .notLeader(let leader) {
            if let leader { clients[client].target = leader } else { clients[client].target = randomNode() }
            refuse(operation: operationID)
            return
        } catch {
            refuse(operation: operationID)
            return
        }
        drain(index)
    }

    func clientIndex(of operation: UInt64) -> Int? {
        clients.firstIndex { $0.current?.operationID == operation }
    }

    /// The operation certainly had no effect: drop it from the history and move on.
    mutating func refuse(operation: UInt64) {
        guard let client = clientIndex(of: operation) else { return }
        if config.recordTrace { record("client \(client) op \(operation) refused") }
        stats.operationsRefused += 1
        clients[client].current = nil
        clients[client].target = randomNode()
        schedule(.clientNext(client), at: now + randomInt(5...30))
    }

    mutating func completeWrite(operation: UInt64, output: KeyValueModel.Output, entry: EntryID) {
        acknowledgedWrites.append((operation, entry))
        complete(operation: operation, output: output)
    }

    mutating func completeRead(operation: UInt64, store: KeyValueStore) {
        guard let client = clientIndex(of: operation), let pending = clients[client].current else { return }
        stats.readsServed += 1
        complete(operation: operation, output: .value(store.get(pending.input.key)))
    }

    mutating func complete(operation: UInt64, output: KeyValueModel.Output) {
        guard let client = clientIndex(of: operation), let pending = clients[client].current else { return }
        historyClock += 1
        if config.recordTrace { record("client \(client) op \(operation) \(pending.input) -> \(output)") }
        history.append(Operation(
            clientID: client, input: pending.input, callTime: pending.callTime, output: output,
            returnTime: historyClock
        ))
        stats.operationsOK += 1
        switch (pending.input, output) {
        case (.put(let key, let value), _): clients[client].lastSeen[key] = value
        case (.get(let key), .value(let value)): clients[client].lastSeen[key] = value
        case (.compareAndSet(let key, _, let new), .swapped(true)): clients[client].lastSeen[key] = new
        default: break
        }
        clients[client].current = nil
        schedule(.clientNext(client), at: now + randomInt(1...20))
    }

    mutating func clientTimedOut(_ client: Int, operation: UInt64) {
        guard let pending = clients[client].current, pending.operationID == operation else { return }
        // Outcome unknown: the write may or may not take effect, at any later time.
        history.append(Operation(
            clientID: client, input: pending.input, callTime: pending.callTime, output: nil, returnTime: nil
        ))
        stats.operationsIndeterminate += 1
        clients[client].current = nil
        clients[client].target = randomNode()
        schedule(.clientNext(client), at: now + randomInt(1...20))
    }

    mutating func randomNode() -> NodeID {
        NodeID(randomInt(1...nodes.count))
    }
}
