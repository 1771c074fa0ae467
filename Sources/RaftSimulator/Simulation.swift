import Linearizability
import Raft

/// A deterministic discrete-event simulation of a Raft cluster running a key-value workload under faults:
/// message loss, delay, duplication, reordering, partitions (symmetric, asymmetric, isolated leader, bridge),
/// crashes that lose unsynced state, restarts, membership changes and leadership transfers. Safety checkers
/// run throughout; linearizability, durability of acknowledged writes and liveness are checked at the end.
///
/// Everything is driven by one seeded generator and simulated time, so a seed replays exactly.
public struct Simulation: Sendable {
    enum Event: Sendable {
        case tick(NodeID, incarnation: Int)
        /// Messages still in flight when their sender crashes are lost with its send buffers.
        case deliver(Message, senderIncarnation: Int)
        case clientNext(Int)
        case clientTimeout(Int, operation: UInt64)
        case fault
        case restart(NodeID, incarnation: Int)
        case fsync(NodeID, incarnation: Int)
        case crash(NodeID, incarnation: Int)
        case healAll
        case convergenceCheck
    }

    public let config: SimulationConfig
    var random: SeededGenerator
    var queue = EventQueue<Event>()
    var now = 0
    var nodes: [SimulatedNode] = []
    var network: SimulatedNetwork
    var clients: [SimulatedClient] = []
    var history: [Operation<KeyValueModel.Input, KeyValueModel.Output>] = []
    var historyClock = 0
    var nextOperationID: UInt64 = 1
    var checker = InvariantChecker()
    var acknowledgedWrites: [(operation: UInt64, entry: EntryID)] = []
    /// Nodes ever proposed as members: spares are the nodes never added.
    var everAdded: Set<NodeID> = []
    var phase: Phase = .faulty
    var converged = false
    var stats: SimulationReport
    var digest: UInt64 = 0xCBF2_9CE4_8422_2325
    var trace: [String] = []
    var leaderTermSeen: [NodeID: Term] = [:]

    enum Phase: Sendable {
        case faulty
        case healing
        case done
    }

    public init(config: SimulationConfig) {
        self.config = config
        random = SeededGenerator(seed: config.seed)
        network = SimulatedNetwork(nodeCount: config.nodeCount + config.spareCount)
        stats = SimulationReport(
            seed: config.seed, nodeCount: config.nodeCount, simulatedMilliseconds: 0, events: 0, messagesSent: 0,
            faultsInjected: 0, crashes: 0, membershipChanges: 0, leadershipTransfers: 0, operationsOK: 0,
            operationsIndeterminate: 0, operationsRefused: 0, readsServed: 0, snapshotsInstalled: 0, maxTerm: 0,
            traceDigest: 0, violations: [], trace: []
        )
    }

    public init(seed: UInt64) {
        self.init(config: SimulationConfig(seed: seed))
    }

    var allNodeIDs: [NodeID] { (1...NodeID(nodes.count)).map { $0 } }

    func raftConfig(for id: NodeID) -> RaftConfig {
        var raftConfig = RaftConfig(
            id: id, electionTimeout: config.electionTimeoutTicks, heartbeatInterval: 2,
            randomSeed: config.seed &+ 0x1000 &* id, maxEntriesPerMessage: config.maxEntriesPerMessage,
            maxBytesPerMessage: 4096, maxInflightMessages: config.maxInflightMessages
        )
        #if DEBUG
        raftConfig.bugs = config.bugs
        #endif
        return raftConfig
    }

    func sendsBeforePersist() -> Bool {
        #if DEBUG
        return config.bugs.contains(.sendBeforePersist)
        #else
        return false
        #endif
    }

    // MARK: - Running

    /// Runs the whole simulation and returns its report.
    public mutating func run() -> SimulationReport {
        let voters = Set((1...NodeID(config.nodeCount)).map { $0 })
        everAdded = voters
        let total = config.nodeCount + config.spareCount
        for index in 0..<total {
            let id = NodeID(index + 1)
            nodes.append(SimulatedNode(id: id, bootstrapVoters: id <= NodeID(config.nodeCount) ? voters : []))
            nodes[index].start(config: raftConfig(for: id))
            schedule(.tick(id, incarnation: 0), at: randomInt(1...config.tickInterval))
        }
        for client in 0..<config.clientCount {
            clients.append(SimulatedClient(id: client, target: NodeID(randomInt(1...config.nodeCount))))
            schedule(.clientNext(client), at: randomInt(1...50))
        }
        if config.meanFaultInterval > 0 {
            schedule(.fault, at: randomInt(1...(2 * config.meanFaultInterval)))
        }
        schedule(.healAll, at: config.faultyDuration)

        let deadline = config.faultyDuration + config.convergenceBound
        while phase != .done, let (time, event) = queue.pop() {
            guard time <= deadline else { break }
            now = time
            stats.events += 1
            handle(event)
            checkCommittedEntries()
        }
        finish()
        return report()
    }

    mutating func handle(_ event: Event) {
        switch event {
        case .tick(let id, let incarnation):
            mix(1, id, 0)
            guard let index = nodeIndex(id), nodes[index].incarnation == incarnation, nodes[index].isUp else {
                return
            }
            nodes[index].raft?.tick()
            drain(index)
            schedule(.tick(id, incarnation: incarnation), at: now + config.tickInterval)
        case .deliver(let message, let senderIncarnation):
            mix(2, message.from, message.to)
            guard let index = nodeIndex(message.to), nodes[index].isUp,
                nodeIndex(message.from).map({ nodes[$0].incarnation == senderIncarnation }) == true,
                network.canDeliver(from: message.from, to: message.to)
            else { return }
            if config.recordTrace {
                record("deliver \(message.kind.name) \(message.from)->\(message.to) t\(message.term)")
            }
            nodes[index].raft?.step(message)
            drain(index)
        case .clientNext(let client):
            mix(3, UInt64(client), 0)
            clientNext(client)
        case .clientTimeout(let client, let operation):
            mix(4, UInt64(client), operation)
            clientTimedOut(client, operation: operation)
        case .fault:
            mix(5, 0, 0)
            guard phase == .faulty else { return }
            injectFault()
            schedule(.fault, at: now + randomInt(1...(2 * config.meanFaultInterval)))
        case .restart(let id, let incarnation):
            mix(6, id, UInt64(incarnation))
            restart(id, incarnation: incarnation)
        case .fsync(let id, let incarnation):
            mix(7, id, UInt64(incarnation))
            guard let index = nodeIndex(id), nodes[index].incarnation == incarnation else { return }
            for write in nodes[index].unsyncedWrites {
                nodes[index].durable.persist(
                    snapshot: write.snapshot, entries: write.entries, hardState: write.hardState
                )
            }
            nodes[index].unsyncedWrites = []
        case .crash(let id, let incarnation):
            mix(10, id, UInt64(incarnation))
            if phase == .faulty, let index = nodeIndex(id), nodes[index].incarnation == incarnation { crash(id) }
        case .healAll:
            mix(8, 0, 0)
            healAll()
        case .convergenceCheck:
            mix(9, 0, 0)
            if isConverged() {
                converged = true
                phase = .done
            } else {
                schedule(.convergenceCheck, at: now + 20)
            }
        }
    }

    // MARK: - Node runtime

    /// Drains every `Ready` of a node: persist, then send, then apply, then advance (the runtime contract).
    mutating func drain(_ index: Int) {
        var rounds = 0
        while nodes[index].raft?.hasReady == true, rounds < 100 {
            rounds += 1
            guard let ready = nodes[index].raft?.ready() else { return }
            process(ready, at: index)
            nodes[index].raft?.advance(ready)
            checkLeadership(index)
        }
        maybeCompact(index)
    }

    mutating func process(_ ready: Ready, at index: Int) {
        let id = nodes[index].id
        // 1. Persist (or, with the planted bug, only pretend to and fsync later).
        if ready.mustPersist {
            if sendsBeforePersist() {
                nodes[index].unsyncedWrites.append((ready.snapshot, ready.entries, ready.hardState))
                schedule(.fsync(id, incarnation: nodes[index].incarnation), at: now + randomInt(config.unsyncedWindow))
            } else {
                nodes[index].durable.persist(
                    snapshot: ready.snapshot, entries: ready.entries, hardState: ready.hardState
                )
            }
        }
        // 2. Send.
        for message in ready.messages {
            send(message)
        }
        // 3. Apply.
        if let snapshot = ready.snapshot {
            installSnapshot(snapshot, at: index)
        }
        for entry in ready.committedEntries {
            apply(entry, at: index)
        }
        for readState in ready.readStates where nodes[index].readsAwaitingIndex.remove(readState.context) != nil {
            nodes[index].readsAwaitingApply.append((readState.context, readState.index))
        }
        serveReads(at: index)
    }

    mutating func installSnapshot(_ snapshot: Snapshot, at index: Int) {
        guard snapshot.index > nodes[index].applied else { return }
        stats.snapshotsInstalled += 1
        guard let store = KeyValueStore(decoding: snapshot.data) else {
            checker.violation("node \(nodes[index].id) received an undecodable snapshot at \(snapshot.index)")
            return
        }
        nodes[index].store = store
        nodes[index].applied = snapshot.index
        nodes[index].lastSnapshotIndex = snapshot.index
        checker.recordState(store.encoded(), at: snapshot.index, node: nodes[index].id, time: now)
        if config.recordTrace {
            record("node \(nodes[index].id) installed snapshot \(snapshot.index)@\(snapshot.term)")
        }
    }

    mutating func apply(_ entry: Entry, at index: Int) {
        let node = nodes[index].id
        guard entry.index == nodes[index].applied + 1 else {
            checker.violation("node \(node) applied \(entry.id) after \(nodes[index].applied) (gap or repeat)")
            return
        }
        nodes[index].applied = entry.index
        checker.recordApply(entry, node: node, time: now)
        var output: KeyValueModel.Output?
        var command: KeyValueCommand?
        if case .command(let bytes) = entry.payload {
            command = KeyValueCommand(decoding: bytes)
            if let command {
                output = nodes[index].store.apply(command.input)
            } else {
                checker.violation("node \(node) applied an undecodable command at \(entry.id)")
            }
        }
        checker.recordState(nodes[index].store.encoded(), at: entry.index, node: node, time: now)
        if let proposal = nodes[index].proposals.removeValue(forKey: entry.index) {
            if proposal.term == entry.term, let output, command?.operationID == proposal.operation {
                completeWrite(operation: proposal.operation, output: output, entry: entry.id)
            } else {
                refuse(operation: proposal.operation)
            }
        }
    }

    mutating func serveReads(at index: Int) {
        let applied = nodes[index].applied
        var waiting: [(context: UInt64, index: LogIndex)] = []
        for read in nodes[index].readsAwaitingApply {
            if read.index <= applied {
                completeRead(operation: read.context, store: nodes[index].store)
            } else {
                waiting.append(read)
            }
        }
        nodes[index].readsAwaitingApply = waiting
    }

    mutating func maybeCompact(_ index: Int) {
        guard nodes[index].isUp, nodes[index].unsyncedWrites.isEmpty else { return }
        let applied = nodes[index].applied
        guard applied >= nodes[index].lastSnapshotIndex + LogIndex(config.compactionThreshold),
            let raft = nodes[index].raft, applied <= raft.log.applied, raft.log.term(at: applied) != nil
        else { return }
        let data = nodes[index].store.encoded()
        let metadata = SnapshotMetadata(
            index: applied, term: raft.log.term(at: applied) ?? 0, configuration: raft.log.configuration(at: applied)
        )
        nodes[index].durable.saveSnapshot(Snapshot(metadata: metadata, data: data))
        do {
            try nodes[index].raft?.compact(through: applied, snapshotData: data)
            nodes[index].lastSnapshotIndex = applied
        } catch {
            checker.violation("node \(nodes[index].id) could not compact at \(applied): \(error)")
        }
    }

    /// Runs the committed-entry safety check over every node's log (the durable log for nodes that are down).
    mutating func checkCommittedEntries() {
        guard let latest = checker.applied[checker.maxApplied] else { return }
        var views: [InvariantChecker.LogView] = []
        for node in nodes {
            let configuration: Configuration
            let lastIndex: LogIndex
            let lastTerm: Term
            let holds: Bool
            if let log = node.raft?.log {
                configuration = log.configuration
                lastIndex = log.lastIndex
                lastTerm = log.lastTerm
                holds = log.snapshotIndex > latest.index || log.term(at: latest.index) == latest.term
            } else {
                let durable = node.durable
                let lastEntry = durable.entries.last
                configuration = durable.entries.last(where: {
                    if case .configuration = $0.payload { return true } else { return false }
                }).flatMap { entry -> Configuration? in
                    if case .configuration(let c) = entry.payload { return c } else { return nil }
                } ?? durable.snapshot.metadata.configuration
                lastIndex = lastEntry?.index ?? durable.snapshot.index
                lastTerm = lastEntry?.term ?? durable.snapshot.term
                holds = durable.snapshot.index > latest.index
                    || (durable.snapshot.index == latest.index && durable.snapshot.term == latest.term)
                    || durable.entries.contains(latest)
            }
            views.append(InvariantChecker.LogView(
                id: node.id, voters: configuration.voters, quorum: configuration.quorum, lastIndex: lastIndex,
                lastTerm: lastTerm, holdsLatestCommitted: holds
            ))
        }
        checker.checkCommittedEntryIsSafe(views, time: now)
    }

    mutating func checkLeadership(_ index: Int) {
        guard let raft = nodes[index].raft else { return }
        stats.maxTerm = max(stats.maxTerm, raft.term)
        guard raft.role == .leader else { return }
        checker.recordLeader(raft, time: now)
        if leaderTermSeen[raft.id] != raft.term {
            leaderTermSeen[raft.id] = raft.term
            if config.recordTrace { record("node \(raft.id) leads term \(raft.term)") }
            if phase == .faulty, chance(perMille: config.crashNewLeaderPerMille) {
                schedule(.crash(raft.id, incarnation: nodes[index].incarnation), at: now + randomInt(1...15))
            }
        }
    }

    mutating func send(_ message: Message) {
        stats.messagesSent += 1
        let incarnation = nodeIndex(message.from).map { nodes[$0].incarnation } ?? 0
        for delay in network.fate(of: message, config: config, random: &random) {
            schedule(.deliver(message, senderIncarnation: incarnation), at: now + delay)
        }
    }

    // MARK: - Crashes

    mutating func crash(_ id: NodeID) {
        guard let index = nodeIndex(id), nodes[index].isUp else { return }
        stats.crashes += 1
        if config.recordTrace { record("crash node \(id)") }
        nodes[index].crash()
        schedule(.restart(id, incarnation: nodes[index].incarnation), at: now + randomInt(config.restartDelay))
    }

    mutating func restart(_ id: NodeID, incarnation: Int) {
        guard let index = nodeIndex(id), !nodes[index].isUp, nodes[index].incarnation == incarnation else { return }
        if config.recordTrace { record("restart node \(id)") }
        nodes[index].start(config: raftConfig(for: id))
        checker.recordState(nodes[index].store.encoded(), at: nodes[index].applied, node: id, time: now)
        schedule(.tick(id, incarnation: incarnation), at: now + randomInt(1...config.tickInterval))
        drain(index)
    }

    // MARK: - Helpers

    func nodeIndex(_ id: NodeID) -> Int? {
        guard id >= 1, id <= NodeID(nodes.count) else { return nil }
        return Int(id - 1)
    }

    mutating func schedule(_ event: Event, at time: Int) {
        queue.schedule(event, at: time)
    }

    mutating func randomInt(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(random.next() % UInt64(range.count))
    }

    mutating func chance(perMille: Int) -> Bool {
        Int(random.next() % 1000) < perMille
    }

    mutating func mix(_ kind: UInt64, _ a: UInt64, _ b: UInt64) {
        for value in [UInt64(now), kind, a, b] {
            digest = (digest ^ value) &* 0x0000_0100_0000_01B3
        }
    }

    mutating func record(_ line: String) {
        trace.append("[\(now) ms] \(line)")
        if trace.count > 200_000 { trace.removeFirst(50_000) }
    }
}
