import Raft

extension Simulation {
    /// The node that currently leads with the highest term, if any is up.
    func currentLeader() -> NodeID? {
        var best: (id: NodeID, term: Term)?
        for node in nodes {
            guard let raft = node.raft, raft.role == .leader else { continue }
            if best == nil || raft.term > (best?.term ?? 0) { best = (node.id, raft.term) }
        }
        return best?.id
    }

    mutating func injectFault() {
        let weights = config.faultWeights
        var roll = randomInt(0...(max(1, weights.total) - 1))
        func take(_ weight: Int) -> Bool {
            if roll < weight { return true }
            roll -= weight
            return false
        }
        stats.faultsInjected += 1
        let ids = allNodeIDs
        if take(weights.heal) {
            network.heal()
            if config.recordTrace { record("fault: heal") }
        } else if take(weights.symmetricPartition) {
            let (left, right) = split(ids)
            network.heal()
            network.block(from: left, to: right)
            network.block(from: right, to: left)
            if config.recordTrace { record("fault: partition \(left) | \(right)") }
        } else if take(weights.asymmetricPartition) {
            let (left, right) = split(ids)
            network.heal()
            network.block(from: left, to: right)
            if config.recordTrace { record("fault: one-way \(left) -/-> \(right)") }
        } else if take(weights.isolateLeader) {
            let victim = currentLeader() ?? NodeID(randomInt(1...nodes.count))
            let others = ids.filter { $0 != victim }
            network.heal()
            network.block(from: [victim], to: others)
            network.block(from: others, to: [victim])
            if config.recordTrace { record("fault: isolate \(victim)") }
        } else if take(weights.bridge) {
            // Two halves that cannot talk, joined only through one bridge node.
            var shuffled = shuffle(ids)
            let bridge = shuffled.removeLast()
            let half = shuffled.count / 2
            let left = Array(shuffled[..<half])
            let right = Array(shuffled[half...])
            network.heal()
            network.block(from: left, to: right)
            network.block(from: right, to: left)
            if config.recordTrace { record("fault: bridge \(left) - \(bridge) - \(right)") }
        } else if take(weights.crash) {
            let up = ids.filter { nodes[Int($0 - 1)].isUp }
            if up.count > 1 { crash(up[randomInt(0...(up.count - 1))]) }
        } else if take(weights.crashLeader) {
            if let leader = currentLeader() { crash(leader) }
        } else if take(weights.membershipChange) {
            changeMembership()
        } else if take(weights.leadershipTransfer) {
            transferLeadership()
        }
    }

    mutating func split(_ ids: [NodeID]) -> ([NodeID], [NodeID]) {
        let shuffled = shuffle(ids)
        let cut = randomInt(1...(shuffled.count - 1))
        return (Array(shuffled[..<cut]), Array(shuffled[cut...]))
    }

    mutating func shuffle(_ ids: [NodeID]) -> [NodeID] {
        var result = ids
        guard result.count > 1 else { return result }
        for k in stride(from: result.count - 1, to: 0, by: -1) {
            result.swapAt(k, randomInt(0...k))
        }
        return result
    }

    mutating func changeMembership() {
        guard let leader = currentLeader(), let index = nodeIndex(leader), let raft = nodes[index].raft else { return }
        let configuration = raft.log.configuration
        let spares = allNodeIDs.filter { !everAdded.contains($0) }
        var change: ConfigChange?
        if let learner = configuration.learners.sorted().first {
            change = .promoteLearner(learner)
        } else if configuration.voters.count > 3, chance(perMille: 600) {
            let voters = configuration.voters.sorted()
            change = .remove(voters[randomInt(0...(voters.count - 1))])
        } else if let spare = spares.first {
            change = .addLearner(spare)
        } else if configuration.voters.count > 3 {
            let voters = configuration.voters.sorted()
            change = .remove(voters[randomInt(0...(voters.count - 1))])
        }
        guard let change else { return }
        do {
            _ = try nodes[index].raft?.proposeConfigChange(change)
            stats.membershipChanges += 1
            if case .addLearner(let id) = change { everAdded.insert(id) }
            if config.recordTrace { record("membership: \(change) via \(leader)") }
            drain(index)
        } catch {
            if config.recordTrace { record("membership: \(change) refused: \(error)") }
        }
    }

    mutating func transferLeadership() {
        guard let leader = currentLeader(), let index = nodeIndex(leader), let raft = nodes[index].raft else { return }
        let candidates = raft.log.configuration.voters.sorted().filter { $0 != leader }
        guard !candidates.isEmpty else { return }
        let target = candidates[randomInt(0...(candidates.count - 1))]
        do {
            try nodes[index].raft?.transferLeadership(to: target)
            stats.leadershipTransfers += 1
            if config.recordTrace { record("transfer leadership \(leader) -> \(target)") }
            drain(index)
        } catch {
            if config.recordTrace { record("transfer refused: \(error)") }
        }
    }

    mutating func healAll() {
        phase = .healing
        network.heal()
        network.isQuiet = true
        if config.recordTrace { record("heal everything; checking convergence") }
        for id in allNodeIDs {
            if let index = nodeIndex(id), !nodes[index].isUp {
                restart(id, incarnation: nodes[index].incarnation)
            }
        }
        schedule(.convergenceCheck, at: now + 20)
    }
}
