import Linearizability
import Raft

extension Simulation {
    /// Liveness: one leader, and every member of its configuration up, caught up and applied.
    func isConverged() -> Bool {
        guard let leaderID = currentLeader(), let index = nodeIndex(leaderID), let leader = nodes[index].raft else {
            return false
        }
        let log = leader.log
        guard log.committed == log.lastIndex, log.term(at: log.committed) == leader.term else { return false }
        for member in log.configuration.members.sorted() {
            guard let memberIndex = nodeIndex(member), let raft = nodes[memberIndex].raft else { return false }
            guard raft.term == leader.term, raft.log.lastIndex == log.lastIndex, raft.log.committed == log.committed,
                nodes[memberIndex].applied == log.committed
            else { return false }
        }
        return true
    }

    mutating func finish() {
        stats.simulatedMilliseconds = now
        // Operations still in flight when the run ends have unknown outcomes.
        for client in clients.indices {
            if let pending = clients[client].current {
                clientTimedOut(client, operation: pending.operationID)
            }
        }
        if !converged {
            let leader = currentLeader().map { "\($0)" } ?? "none"
            let states = nodes.map { node -> String in
                guard let raft = node.raft else { return "\(node.id): down" }
                return "\(node.id): \(raft.role) t\(raft.term) last \(raft.log.lastIndex) commit \(raft.log.committed) "
                    + "applied \(node.applied) voters \(raft.log.configuration.voters.sorted())"
            }
            checker.violation("liveness: no convergence within \(config.convergenceBound) ms after healing "
                + "(leader \(leader); \(states.joined(separator: "; ")))")
        }
        checkLogMatching()
        checkAcknowledgedWrites()
        let result = LinearizabilityChecker(model: KeyValueModel(), stepBudget: 2_000_000).check(history)
        switch result {
        case .linearizable:
            break
        case .unknown:
            stats.linearizabilityUndecided = true
        case .notLinearizable(let partition, let operations):
            checker.violation("linearizability: key partition \(partition) is not linearizable: "
                + operations.prefix(16).joined(separator: "; "))
        }
    }

    /// Log matching: if two logs hold an entry with the same index and term, they are identical up to it.
    mutating func checkLogMatching() {
        let logs = nodes.compactMap { $0.raft?.log }
        for a in logs.indices {
            for b in logs.indices where b > a {
                let low = max(logs[a].firstIndex, logs[b].firstIndex)
                let high = min(logs[a].lastIndex, logs[b].lastIndex)
                guard low <= high else { continue }
                var matched = false
                var index = high
                while index >= low {
                    let left = logs[a].entry(at: index)
                    let right = logs[b].entry(at: index)
                    if matched, left != right {
                        checker.violation("log matching: logs differ at \(index) below a matching entry")
                        return
                    }
                    if left?.term == right?.term {
                        if left != right {
                            checker.violation("log matching: same (index, term) \(index) with different payloads")
                            return
                        }
                        matched = true
                    }
                    index -= 1
                }
            }
        }
    }

    /// No acknowledged write is lost: each one is still the entry at its index in the log of every member of the
    /// final configuration (or compacted into a snapshot after it was applied there).
    mutating func checkAcknowledgedWrites() {
        let members = currentLeader().flatMap { nodeIndex($0) }.flatMap { nodes[$0].raft?.log.configuration.members }
            ?? []
        for write in acknowledgedWrites {
            if let entry = checker.applied[write.entry.index], entry.id != write.entry {
                checker.violation("acknowledged write \(write.operation) at \(write.entry) lost: \(entry.id) applied")
            }
            for node in nodes {
                guard let raft = node.raft, members.contains(node.id) else { continue }
                if let term = raft.log.term(at: write.entry.index), term != write.entry.term {
                    checker.violation("acknowledged write \(write.operation) at \(write.entry) lost on node "
                        + "\(node.id) (term \(term) there)")
                    return
                }
            }
        }
    }

    func report() -> SimulationReport {
        var report = stats
        report.traceDigest = digest
        report.violations = checker.violations
        report.trace = trace
        return report
    }
}
