import Cluster
import Crypto
import Foundation
import Logging
import NIOCore
import NIOPosix
import Raft
import Synchronization
import Storage

/// Why a replicated write or read was refused or has no known outcome.
public enum ReplicationError: Error, Equatable, Sendable {
    /// This node is not the leader (or has not yet applied an entry of its own term); nothing was written.
    case notLeader
    /// Another entry was committed at the write's log index: the write was lost and will never apply.
    case lost
    /// No outcome within the time limit, or the node stopped: the write may or may not have been committed.
    case unknownOutcome
    /// The runtime is stopped (the node was sealed or is shutting down).
    case stopped
    /// The membership change was refused by Raft (another change pending, learner not caught up, ...).
    case membershipRefused(String)
    /// A snapshot restore was replacing the state machine during the read; nothing was read. Try again.
    case restoring
}

/// Drives one `RaftNode` with real time, a real disk and the cluster transport.
///
/// One loop task owns the node: it collects everything that arrived since its last turn (messages, ticks,
/// proposals, reads), steps them in, then drains `Ready`s: each is persisted together with the state machine
/// writes it commits in ONE transaction (`NodeStore.persist`), then its messages are sent (a leader sends its
/// AppendEntries first, so that its fsync and the followers' overlap), then waiting callers are answered (a
/// leader answers the writes a `Ready` commits before persisting it: `appliesBeforePersisting`). Requests
/// that arrive while a `Ready` is being made durable wait for the next turn and share its log entry and
/// fsync: that is the group commit.
///
/// Threads: the actor runs on the transport's event loop (`ClusterTransport.eventLoop`; a loop of NIO's
/// shared group for transports without one). Inbound Raft messages reach it there without a hop, and its
/// sends are written before they return. It persists on a thread of its own (`diskQueue`) and waits for it
/// without holding the loop: the same loop carries the requests standbys forward and their answers, which
/// waited behind every fsync of the node when the loop persisted inline (forwarded writes at 16 connections
/// rose from 1,724-1,779 to 2,307-2,366 requests/s when the persist moved off it, bench/run twice each; the
/// two thread hand-offs per `Ready` did not lower the other rows). While it waits, the actor takes in events
/// for the next turn and answers queries; nothing but the loop steps the node. Lease reads (`confirmLeadership()`) do not touch the
/// actor at all: it publishes what they need in `readGate`.
///
/// Guarantees:
/// - `write(_:)` returns only once its batch is committed (in the log, fsync'd, on a quorum) and
///   visible to reads on this node: applied to the local state machine, or staged in the
///   store's overlay while the transaction applying it commits (`appliesBeforePersisting`). It throws
///   `.notLeader` or `.lost` when the batch will never apply, `.unknownOutcome` when that cannot be known
///   (time limit, stop).
/// - `confirmLeadership()` returns only once a quorum has confirmed this node's leadership after the call and
///   the local state machine has applied everything committed before it (Raft's ReadIndex): a read served
///   afterwards from the local state machine is linearizable. While this leader holds a lease (`LeaderLease`:
///   a quorum acknowledged a heartbeat sent less than `leaseDuration` ago, by the monotonic clock), the quorum
///   round is skipped: no other leader can exist yet, so the commit index is current.
///
/// An actor; the loop is the only code that calls mutating methods of the `RaftNode`.
public actor RaftRuntime {
    public struct Options: Sendable {
        public var tickInterval: Duration
        public var electionTicks: Int
        public var heartbeatTicks: Int
        /// Compact the log once this many entries have been applied since the last snapshot.
        public var compactionThreshold: UInt64
        /// Also compact once the entries appended since the last compaction hold this many bytes: the log is
        /// kept in memory, and a snapshot restore stages its archive through it in 2 MiB entries, so an entry
        /// count alone would let a large restore hold the whole archive in memory on every node.
        public var compactionBytes = 32 << 20
        /// Time limit on a write or a read confirmation.
        public var requestTimeout: Duration
        /// Serve `confirmLeadership()` from a leader lease (`LeaderLease`) when one is held, instead of a
        /// ReadIndex heartbeat round. Needs check-quorum (always on outside planted test faults).
        public var leaseReads = true
        #if DEBUG
        /// Test-only planted bug: acknowledge writes once appended locally, before a quorum has them.
        public var acknowledgeBeforeCommit = false
        /// Test-only planted bug: a leader cut off from the quorum keeps believing it leads (no CheckQuorum
        /// step-down), as a Raft without leader leases would; with stale reads it serves an old state.
        public var keepLeadershipWhenIsolated = false
        #endif

        public init(
            tickInterval: Duration = .milliseconds(50), electionTicks: Int = 10, heartbeatTicks: Int = 1,
            compactionThreshold: UInt64 = 8192, requestTimeout: Duration = .seconds(10)
        ) {
            self.tickInterval = tickInterval
            self.electionTicks = electionTicks
            self.heartbeatTicks = heartbeatTicks
            self.compactionThreshold = compactionThreshold
            self.requestTimeout = requestTimeout
        }
    }

    /// What the node is, as the layer above needs to know it.
    public enum Leadership: Sendable, Equatable {
        /// Leader of `term`, with an entry of that term applied locally: its state machine holds every
        /// committed write, so it may serve.
        case leader(term: Term)
        case follower
    }

    public nonisolated let id: NodeID
    public nonisolated let name: ClusterNodeID
    public nonisolated let leadership: AsyncStream<Leadership>
    private let leadershipContinuation: AsyncStream<Leadership>.Continuation

    let store: NodeStore
    let transport: any ClusterTransport
    let options: Options
    let logger: Logger
    private nonisolated let loop: any EventLoop
    /// What a lease read needs to know, published by the loop after every turn and every `Ready`.
    private nonisolated let readGate = Mutex(ReadGate())
    private nonisolated let readIndexBatcher = ReadIndexBatcher()
    /// `stopped`, readable off the actor: `write` refuses at once rather than schedule onto a loop that may
    /// be shutting down.
    private nonisolated let stoppedFlag = Atomic(false)
    private nonisolated let diskQueue = DispatchQueue(label: "coffer.raft.disk")

    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        loop.executor.asUnownedSerialExecutor()
    }

    private var node: RaftNode
    private var events: [Event] = []
    private var wake: CheckedContinuation<Void, Never>?
    private var stopped = false
    private var tasks: [Task<Void, Never>] = []
    private var runTask: Task<Void, Never>?

    private var peers: [NodeID: ClusterNodeID] = [:]
    private var proposals: [LogIndex: PendingWrite] = [:]
    private var nextReadContext: UInt64 = 1
    private var readsAwaitingQuorum: [UInt64: PendingRead] = [:]
    private var readsAwaitingApply: [(index: LogIndex, read: PendingRead)] = []
    private var ticks: UInt64 = 0
    private var termStart: (term: Term, index: LogIndex)?
    private var reported: Leadership = .follower
    private var snapshotTransfers: Set<NodeID> = []
    private var lastHeard: [NodeID: ContinuousClock.Instant] = [:]
    private var incomingSnapshots: [ClusterNodeID: IncomingSnapshot] = [:]
    /// Called for forwarded requests and control messages from peers; answers become the response payload.
    private var requestHandler: (@Sendable (ClusterNodeID, ClusterMessage) async -> [UInt8])?
    /// Called after applied entries touched member records or the configuration changed.
    private var membershipObserver: (@Sendable () async -> Void)?
    /// Called with the node's status after every handled `Ready` (metrics).
    private var statusObserver: (@Sendable (RaftStatus) -> Void)?
    /// Called after an applied entry committed a snapshot restore (the state machine was replaced).
    private var restoreObserver: (@Sendable () async -> Void)?
    private var compactionRequested = false
    /// Bytes of the entries appended since the last compaction (see `Options.compactionBytes`).
    private var bytesSinceCompaction = 0
    private var lease: LeaderLease
    /// The hard state as last made durable (term and vote must be on disk before messages that depend on them).
    private var durableHardState: HardState
    /// The last committed entry whose writes are staged in the store's overlay while the `Ready` applying
    /// them is persisted (`appliesBeforePersisting`); nil outside that window.
    private var stagedApplied: LogIndex?

    private enum Event {
        case message(Message)
        case tick
        case write([StorageOperation], CheckedContinuation<Void, any Error>)
        case read(CheckedContinuation<Void, any Error>)
        case membership(ConfigChange, CheckedContinuation<Void, any Error>)
        case transfer(NodeID)
        case snapshotSent(NodeID, Bool)
        case campaign
    }

    private struct PendingWrite {
        var term: Term
        var waiters: [CheckedContinuation<Void, any Error>]
        var deadline: UInt64
    }

    private struct PendingRead {
        var waiters: [CheckedContinuation<Void, any Error>]
        var deadline: UInt64
    }

    private struct IncomingSnapshot {
        var transfer: UInt64
        var header: [UInt8]
        var data: [UInt8]
        var nextChunk: UInt32
    }

    /// Starts the runtime over `store` (which must have been initialised: `bootstrap` or `join` a fresh one
    /// first) and `transport`. The loop, the ticker and the inbound reader run until `stop()`.
    public init(
        name: ClusterNodeID, store: NodeStore, transport: any ClusterTransport, options: Options = Options(),
        logger: Logger = Logger(label: "coffer.raft")
    ) throws {
        guard let state = try store.log.load() else {
            throw ReplicationError.membershipRefused("the raft log was never initialised")
        }
        let id = Self.raftID(for: name)
        self.id = id
        self.name = name
        self.store = store
        self.transport = transport
        loop = transport.eventLoop ?? MultiThreadedEventLoopGroup.singleton.next()
        self.options = options
        var logger = logger
        logger[metadataKey: "node"] = "\(name)"
        self.logger = logger
        var config = RaftConfig(
            id: id, electionTimeout: options.electionTicks, heartbeatInterval: options.heartbeatTicks,
            randomSeed: UInt64.random(in: 0...UInt64.max))
        #if DEBUG
        if options.keepLeadershipWhenIsolated { config.checkQuorum = false }
        #endif
        config.leaderLease = options.leaseReads && config.checkQuorum
        lease = LeaderLease(duration: Self.leaseDuration(options))
        durableHardState = state.hardState
        node = RaftNode(config: config, state: state)
        (leadership, leadershipContinuation) = AsyncStream.makeStream(of: Leadership.self)
    }

    /// How long a lease lasts from the sending of the heartbeat a quorum acknowledged: 80% of the shortest
    /// time a voter that acknowledged it keeps refusing votes, `(electionTicks - 1)` tick intervals (its first
    /// tick may come at once); the 20% margin covers drift between the nodes' monotonic clock rates.
    static func leaseDuration(_ options: Options) -> Duration {
        options.tickInterval * (max(1, options.electionTicks - 1) * 4) / 5
    }

    /// The Raft id of a node name: the first 8 bytes of SHA-256 of the name (never 0). Every node computes
    /// the same id for a name, and a transport peer's authenticated name gives its id.
    public static func raftID(for name: ClusterNodeID) -> NodeID {
        let digest = SHA256.hash(data: Array(name.rawValue.utf8))
        let id = digest.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return id == 0 ? 1 : id
    }

    /// Writes the initial Raft state of a node that founds a cluster with itself as the only voter.
    ///
    /// `sys/init` wrote the first state straight into the state machine, outside the log, so the log starts
    /// from a snapshot at index 1 that stands for it: a node that joins later has nothing at or below index 1
    /// and so is always sent a snapshot (which carries that state) rather than entries that would miss it.
    public static func bootstrap(_ store: NodeStore, name: ClusterNodeID) throws {
        let configuration = Configuration(voters: [raftID(for: name)])
        let snapshot = Snapshot(metadata: SnapshotMetadata(index: 1, term: 1, configuration: configuration), data: [])
        try store.log.initialize(
            PersistentState(hardState: HardState(term: 1, vote: nil, commit: 1), snapshot: snapshot, entries: [],
                            applied: 1))
    }

    /// Writes the initial Raft state of a node that will be added to an existing cluster by its leader.
    public static func prepareToJoin(_ store: NodeStore) throws {
        if try store.log.load() == nil {
            try store.log.initialize(.joining)
        }
    }

    public func setRequestHandler(_ handler: @escaping @Sendable (ClusterNodeID, ClusterMessage) async -> [UInt8]) {
        requestHandler = handler
    }

    public func setStatusObserver(_ observer: @escaping @Sendable (RaftStatus) -> Void) {
        statusObserver = observer
    }

    public func setMembershipObserver(_ observer: @escaping @Sendable () async -> Void) {
        membershipObserver = observer
    }

    public func setRestoreObserver(_ observer: @escaping @Sendable () async -> Void) {
        restoreObserver = observer
    }

    /// Compacts the log through the applied index on the loop's next turn, whatever the threshold: after a
    /// snapshot restore, so the staged archive does not stay in the in-memory log.
    public func requestCompaction() {
        compactionRequested = true
    }

    public func start() async {
        let tickInterval = options.tickInterval
        tasks.append(Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: tickInterval)
                guard let self else { return }
                await self.enqueue(.tick)
            }
        })
        if transport.eventLoop != nil {
            await transport.deliverInbound { [weak self] message in
                self?.assumeIsolated { runtime in runtime.receive(message) }
            }
        } else {
            let inbound = transport.inbound
            tasks.append(Task { [weak self] in
                for await message in inbound {
                    guard let self else { return }
                    await self.receive(message)
                }
            })
        }
        let loopTask = Task<Void, Never> { [weak self] in await self?.run() }
        runTask = loopTask
        tasks.append(loopTask)
        // A node that is the only voter need not wait an election timeout.
        if node.status.configuration.voters == [id] { enqueue(.campaign) }
    }

    /// Stops the loop and fails every waiting caller with `.unknownOutcome` (or `.notLeader` for reads).
    /// Returns once the loop has ended: a persist under way on the disk thread has finished, so the caller may
    /// shut the transport's event loop down, on which the loop would resume.
    public func stop() async {
        await stopLoop()
        if let runTask {
            self.runTask = nil
            await runTask.value
        }
    }

    /// `stop()` without waiting for the loop: for the loop itself.
    private func stopLoop() async {
        guard !stopped else { return }
        stopped = true
        stoppedFlag.store(true, ordering: .releasing)
        publishReadGate()
        for task in tasks { task.cancel() }
        wake?.resume()
        wake = nil
        failAll(writes: .unknownOutcome, reads: .stopped)
        for event in events { fail(event, .stopped) }
        events = []
        report(.follower)
        leadershipContinuation.finish()
    }

    // MARK: - Requests

    /// Replicates `operations` as one atomic batch (see the type's guarantees).
    ///
    /// Not isolated to the actor: an isolated method resumes on the actor's executor, the Raft loop, which
    /// runs that resumption only after the turn that answered it, fsync included. From here the caller
    /// resumes on its own executor as soon as the loop answers, while the loop goes on to persist
    /// (`appliesBeforePersisting`).
    public nonisolated func write(_ operations: [StorageOperation]) async throws {
        guard !stoppedFlag.load(ordering: .acquiring) else { throw ReplicationError.stopped }
        try await withCheckedThrowingContinuation { continuation in
            loop.execute { self.assumeIsolated { $0.enqueue(.write(operations, continuation)) } }
        }
    }

    /// Waits until a read served from the local state machine is linearizable (see the type's guarantees).
    ///
    /// The common case, a leader holding its lease with everything committed applied, is answered from
    /// `readGate` on the caller's thread. The loop publishes the gate before it answers any write it applied,
    /// so a read that starts after a write was acknowledged finds the gate at or past that write.
    public nonisolated func confirmLeadership() async throws {
        if readGate.withLock({ $0.admits(at: .now) }) { return }
        try await confirmLeadershipOnLoop()
    }

    private func confirmLeadershipOnLoop() async throws {
        if let index = leaseReadIndex(at: .now) {
            // The commit index is current while the lease holds; wait only for it to be applied.
            if node.log.applied >= index { return }
            try await withCheckedThrowingContinuation { continuation in
                readsAwaitingApply.append((index, PendingRead(waiters: [continuation], deadline: ticks + timeoutTicks)))
            }
            return
        }
        try await withCheckedThrowingContinuation { continuation in
            enqueue(.read(continuation))
        }
    }

    /// On the leader: an index a follower may serve a linearizable read at, once it has applied it. The
    /// leadership is confirmed (lease or quorum round) after the follower's request arrived, and by then
    /// everything committed is applied here, so the applied index covers every write acknowledged before.
    nonisolated func readIndexForFollower() async throws -> LogIndex {
        try await confirmLeadership()
        return readGate.withLock { $0.applied }
    }

    /// On a follower: returns once a read served from the local state machine is linearizable. It asks the
    /// leader for a read index (one request serves every read that arrived before it was sent:
    /// `ReadIndexBatcher`) and waits until this node has applied that index. Throws when the leader cannot be
    /// reached or cannot confirm its leadership in time; the caller then forwards the request instead.
    public nonisolated func followerReadBarrier() async throws {
        let index = try await readIndexBatcher.readIndex { try await self.fetchReadIndex() }
        if readGate.withLock({ $0.applied }) >= index { return }
        try await waitForApplied(index)
    }

    private func fetchReadIndex() async throws -> LogIndex {
        guard !stopped, node.role == .follower, let leader = node.status.leader, leader != id,
            let peer = peers[leader]
        else { throw ReplicationError.notLeader }
        let patience = options.tickInterval * (options.electionTicks * 2)
        let answer = try await transport.request(
            to: peer, ClusterMessage(kind: .readIndex, payload: []), timeout: patience)
        var reader = WireReader(answer.payload)
        guard answer.payload.count == 8, let index = try? reader.u64() else { throw ReplicationError.notLeader }
        return index
    }

    private func waitForApplied(_ index: LogIndex) async throws {
        guard !stopped else { throw ReplicationError.stopped }
        if node.log.applied >= index { return }
        try await withCheckedThrowingContinuation { continuation in
            readsAwaitingApply.append((index, PendingRead(waiters: [continuation], deadline: ticks + timeoutTicks)))
        }
    }

    /// The commit index, when this node serves as leader of its current term (an entry of the term applied)
    /// and holds the lease at `now`; nil when a read needs a ReadIndex round.
    func leaseReadIndex(at now: ContinuousClock.Instant) -> LogIndex? {
        guard servesLeaseReads, lease.holds(term: node.term, at: now) else { return nil }
        return node.log.committed
    }

    /// Every condition of `leaseReadIndex(at:)` but the clock.
    private var servesLeaseReads: Bool {
        !stopped && node.role == .leader && reported == .leader(term: node.term)
    }

    /// Publishes the state `confirmLeadership()` checks without the actor. Called at the end of every turn,
    /// after events that may end the lease (a transfer) and after every `Ready`, before the writes it
    /// applied are answered.
    private func publishReadGate() {
        let gate = ReadGate(
            leaseExpiry: servesLeaseReads ? lease.expiry(term: node.term) : nil,
            committed: node.log.committed, applied: max(node.log.applied, stagedApplied ?? 0))
        readGate.withLock { $0 = gate }
    }

    /// Proposes a membership change and waits until it is committed and applied here.
    public func changeMembership(_ change: ConfigChange) async throws {
        try await withCheckedThrowingContinuation { continuation in
            enqueue(.membership(change, continuation))
        }
    }

    public func transferLeadership(to target: NodeID) {
        enqueue(.transfer(target))
    }

    public var status: RaftStatus { node.status }
    public var progress: [NodeID: Raft.Progress] { node.progress }
    public var isStopped: Bool { stopped }

    /// How long ago each peer was last heard from (peers never heard from are absent).
    public func lastContact() -> [NodeID: Duration] {
        let now = ContinuousClock.now
        return lastHeard.mapValues { now - $0 }
    }

    /// Sets the transport address of every member this node should talk to.
    public func updatePeers(_ members: [ClusterNodeID: PeerAddress]) async {
        var next: [NodeID: ClusterNodeID] = [:]
        for (member, address) in members where member != name {
            next[Self.raftID(for: member)] = member
            await transport.updatePeer(member, address: address)
        }
        for (raft, member) in peers where next[raft] == nil {
            await transport.removePeer(member)
        }
        peers = next
    }

    // MARK: - The loop

    private func enqueue(_ event: Event) {
        guard !stopped else {
            fail(event, .stopped)
            return
        }
        events.append(event)
        if let wake {
            self.wake = nil
            wake.resume()
        }
    }

    private func run() async {
        while !stopped {
            if events.isEmpty {
                await withCheckedContinuation { wake = $0 }
                continue
            }
            let turnStart = ContinuousClock.now
            let batch = events
            events = []
            var writes: [([StorageOperation], CheckedContinuation<Void, any Error>)] = []
            var reads: [CheckedContinuation<Void, any Error>] = []
            for event in batch {
                switch event {
                case .message(let message): node.step(message)
                case .tick:
                    ticks += 1
                    node.tick()
                    expireWaiters()
                case .write(let operations, let continuation): writes.append((operations, continuation))
                case .read(let continuation): reads.append(continuation)
                case .membership(let change, let continuation): proposeMembership(change, continuation)
                case .transfer(let target):
                    if node.role == .leader { lease.transferStarted(term: node.term) }
                    try? node.transferLeadership(to: target)
                case .snapshotSent(let peer, let succeeded):
                    snapshotTransfers.remove(peer)
                    node.reportSnapshot(to: peer, succeeded: succeeded)
                case .campaign: node.campaign()
                }
            }
            if !writes.isEmpty { propose(writes) }
            if !reads.isEmpty { startRead(reads) }
            publishReadGate()
            do {
                try await drainReady()
                if compactionRequested { compactIfDue() }
                updateLease(turnStart: turnStart)
                publishReadGate()
            } catch {
                logger.critical("raft storage failed; this node stops taking part", metadata: ["error": "\(error)"])
                await stopLoop()
                return
            }
        }
    }

    /// Heartbeat rounds issued in this turn were sent after `turnStart`; acknowledgements stepped in this turn
    /// may extend the lease.
    private func updateLease(turnStart: ContinuousClock.Instant) {
        guard let rounds = node.leaseRounds else {
            lease.reset()
            return
        }
        lease.issued(through: rounds.issued, term: node.term, at: turnStart)
        lease.acknowledged(through: rounds.acknowledged, term: node.term)
    }

    private var isServingLeader: Bool {
        if case .leader = reported { return node.role == .leader }
        return false
    }

    private func propose(_ writes: [([StorageOperation], CheckedContinuation<Void, any Error>)]) {
        guard isServingLeader else {
            for (_, continuation) in writes { continuation.resume(throwing: ReplicationError.notLeader) }
            return
        }
        let command = StorageCommand.encode(writes.map(\.0))
        do {
            let entry = try node.propose(command)
            proposals[entry.index] = PendingWrite(
                term: entry.term, waiters: writes.map(\.1), deadline: ticks + timeoutTicks)
            #if DEBUG
            if options.acknowledgeBeforeCommit {
                for (_, continuation) in writes { continuation.resume() }
                proposals[entry.index]?.waiters = []
            }
            #endif
        } catch {
            for (_, continuation) in writes { continuation.resume(throwing: ReplicationError.notLeader) }
        }
    }

    private func proposeMembership(_ change: ConfigChange, _ continuation: CheckedContinuation<Void, any Error>) {
        do {
            let entry = try node.proposeConfigChange(change)
            proposals[entry.index] = PendingWrite(term: entry.term, waiters: [continuation], deadline: ticks + timeoutTicks)
        } catch {
            continuation.resume(throwing: ReplicationError.membershipRefused("\(error)"))
        }
    }

    private func startRead(_ waiters: [CheckedContinuation<Void, any Error>]) {
        guard isServingLeader else {
            for waiter in waiters { waiter.resume(throwing: ReplicationError.notLeader) }
            return
        }
        let context = nextReadContext
        nextReadContext += 1
        do {
            try node.readIndex(context: context)
            readsAwaitingQuorum[context] = PendingRead(waiters: waiters, deadline: ticks + timeoutTicks)
        } catch {
            for waiter in waiters { waiter.resume(throwing: ReplicationError.notLeader) }
        }
    }

    private var timeoutTicks: UInt64 {
        let tick = max(1, options.tickInterval.components.attoseconds / 1_000_000_000_000_000
            + options.tickInterval.components.seconds * 1000)
        let limit = options.requestTimeout.components.seconds * 1000
            + options.requestTimeout.components.attoseconds / 1_000_000_000_000_000
        return UInt64(max(1, limit / tick))
    }

    /// Runs `body` (a persist) on the runtime's disk thread and waits for it without holding the loop.
    private func offLoop<Value: Sendable>(_ body: @escaping @Sendable () throws -> Value) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            diskQueue.async { continuation.resume(with: Result { try body() }) }
        }
    }

    private func drainReady() async throws {
        while node.hasReady && !stopped {
            let ready = node.ready()
            let snapshotData = ready.snapshot?.data
            let store = self.store
            var undecodable = 0
            // A leader sends its AppendEntries before its own append is durable, so the followers' fsyncs run
            // alongside its own (Raft thesis §10.2.1): it counts itself towards a commit only once `advance`
            // has seen the append persisted, so nothing commits on its unsynced copy. Its term and vote are
            // durable already (persisted before it asked for votes); a Ready that changes them, or carries a
            // snapshot, keeps the persist-then-send order, and so does every non-leader.
            var unsent = ready.messages
            if Self.sendsBeforePersisting(ready, role: node.role, durable: durableHardState) {
                unsent = []
                for message in ready.messages {
                    if case .installSnapshot = message.kind { unsent.append(message) } else { send(message) }
                }
            }
            var answers: [(waiters: [CheckedContinuation<Void, any Error>], error: ReplicationError?)] = []
            for entry in ready.committedEntries {
                if let pending = proposals.removeValue(forKey: entry.index) {
                    answers.append((pending.waiters, pending.term == entry.term ? nil : .lost))
                }
            }
            let answeredEarly = !answers.isEmpty && appliesBeforePersisting(ready)
            if answeredEarly {
                store.stagePendingApply(ready.committedEntries)
                stagedApplied = ready.committedEntries.last?.index
                publishReadGate()
                Self.resume(answers)
            }
            if ready.mustPersist || !ready.committedEntries.isEmpty {
                do {
                    let durable = durableHardState
                    undecodable = try await offLoop {
                        try store.persist(ready, snapshotData: snapshotData, durableHardState: durable)
                    }
                } catch {
                    // Staged writes stay visible: they were answered, and they are committed on a quorum.
                    if !answeredEarly { Self.resume(answers, failing: .unknownOutcome) }
                    throw error
                }
                if answeredEarly { store.clearPendingApply() }
                if let hardState = ready.hardState { durableHardState = hardState }
            }
            if undecodable > 0 {
                logger.error("skipped undecodable log entries", metadata: ["count": "\(undecodable)"])
            }
            for message in unsent { send(message) }
            var membershipTouched = false
            var restoreCommitted = false
            if let snapshot = ready.snapshot {
                membershipTouched = true
                for (index, pending) in proposals where index <= snapshot.index {
                    for waiter in pending.waiters { waiter.resume(throwing: ReplicationError.unknownOutcome) }
                    proposals[index] = nil
                }
            }
            for entry in ready.committedEntries {
                switch entry.payload {
                case .configuration: membershipTouched = true
                case .command(let bytes):
                    if !membershipTouched, Self.mentionsMembers(bytes) { membershipTouched = true }
                    if !restoreCommitted, Self.mentions(bytes, anyOf: [Self.restoreMarker]) { restoreCommitted = true }
                case .empty: break
                }
            }
            for state in ready.readStates {
                if let read = readsAwaitingQuorum.removeValue(forKey: state.context) {
                    readsAwaitingApply.append((state.index, read))
                }
            }
            for entry in ready.entries { bytesSinceCompaction += entry.byteCount }
            node.advance(ready)
            stagedApplied = nil
            let applied = node.status.applied
            readsAwaitingApply.removeAll { pending in
                guard pending.index <= applied else { return false }
                for waiter in pending.read.waiters { waiter.resume() }
                return true
            }
            updateLeadership()
            publishReadGate()
            if !answeredEarly { Self.resume(answers) }
            compactIfDue()
            statusObserver?(node.status)
            if membershipTouched, let membershipObserver {
                Task { await membershipObserver() }
            }
            if restoreCommitted, let restoreObserver {
                Task { await restoreObserver() }
            }
        }
    }

    /// Whether the callers of `ready`'s committed entries are answered before `ready` is persisted: on a
    /// leader, unless it installs a snapshot, commits a configuration change (its caller waits for it to be
    /// applied) or a snapshot restore (which replaces the state in a transaction of its own).
    ///
    /// Committed means in the log on a quorum, fsync'd: nothing the apply's transaction adds is needed for the
    /// write to survive a crash, since a restarted node applies its committed entries again. The wait for that
    /// transaction's fsync was a third of a write's time in the Raft loop at 16 connections (`persist_ms`
    /// 1.5 of `write_ms` 4.5, traced on the leader). The entries' writes are staged in the store's overlay
    /// first (`NodeStore.stagePendingApply`), so reads on this node see them, and `readGate` counts them as
    /// applied.
    private func appliesBeforePersisting(_ ready: Ready) -> Bool {
        guard node.role == .leader, ready.snapshot == nil else { return false }
        for entry in ready.committedEntries {
            if case .configuration = entry.payload { return false }
        }
        return NodeStore.firstRestoreCommit(in: ready.committedEntries) == nil
    }

    private static func resume(
        _ answers: [(waiters: [CheckedContinuation<Void, any Error>], error: ReplicationError?)],
        failing failure: ReplicationError? = nil
    ) {
        for (waiters, error) in answers {
            for waiter in waiters {
                if let error = failure ?? error { waiter.resume(throwing: error) } else { waiter.resume() }
            }
        }
    }

    /// Whether `ready`'s messages may go out before it is persisted: on a leader whose term and vote it does not
    /// change, with no snapshot to install.
    static func sendsBeforePersisting(_ ready: Ready, role: RaftRole, durable: HardState) -> Bool {
        guard role == .leader, ready.snapshot == nil else { return false }
        guard let hardState = ready.hardState else { return true }
        return hardState.term == durable.term && hardState.vote == durable.vote
    }

    /// Keys whose change the membership observer must hear of: member records and the cluster CA.
    private static let membershipMarkers = ["raft/members/", "core/cluster/tls-ca"].map { Array($0.utf8) }

    /// The key of a snapshot restore's commit (the restore observer must hear of it).
    private static let restoreMarker = Array(NodeStore.restoreCommitKey.utf8)

    /// Whether an encoded command touches member records or the cluster CA (a scan for the key bytes).
    private static func mentionsMembers(_ bytes: [UInt8]) -> Bool {
        mentions(bytes, anyOf: membershipMarkers)
    }

    /// Whether any of `markers` occurs in `bytes`: `memchr` finds each candidate first byte, `memcmp` checks the
    /// rest. The byte-by-byte loop this replaced was 1% of a kv-write row's cluster CPU, as every applied command
    /// is scanned.
    static func mentions(_ bytes: [UInt8], anyOf markers: [[UInt8]]) -> Bool {
        bytes.withUnsafeBytes { haystack in
            markers.contains { marker in
                guard let first = marker.first, let base = haystack.baseAddress else { return false }
                return marker.withUnsafeBytes { needle in
                    var offset = 0
                    while haystack.count - offset >= needle.count {
                        guard let hit = memchr(base + offset, Int32(first), haystack.count - offset - needle.count + 1)
                        else { return false }
                        if memcmp(hit, needle.baseAddress!, needle.count) == 0 { return true }
                        offset = UnsafeRawPointer(hit) - base + 1
                    }
                    return false
                }
            }
        }
    }

    private func updateLeadership() {
        let status = node.status
        if status.role == .leader {
            if termStart?.term != status.term { termStart = (status.term, status.lastIndex) }
            if let start = termStart, status.applied >= start.index {
                report(.leader(term: status.term))
            }
        } else {
            termStart = nil
            if reported != .follower {
                failAll(writes: nil, reads: .notLeader)
            }
            report(.follower)
        }
    }

    private func report(_ leadership: Leadership) {
        guard leadership != reported else { return }
        reported = leadership
        logger.info("leadership changed", metadata: ["leadership": "\(leadership)"])
        leadershipContinuation.yield(leadership)
    }

    private func compactIfDue() {
        let status = node.status
        let snapshotIndex = node.latestSnapshot?.index ?? 0
        let requested = compactionRequested && status.applied > snapshotIndex
        compactionRequested = false
        let large = bytesSinceCompaction >= options.compactionBytes && status.applied > snapshotIndex
        guard requested || large || status.applied > snapshotIndex + options.compactionThreshold else { return }
        bytesSinceCompaction = 0
        do {
            try node.compact(through: status.applied, snapshotData: [])
            if let snapshot = node.latestSnapshot { try store.log.compact(to: snapshot) }
        } catch {
            logger.warning("log compaction failed", metadata: ["error": "\(error)"])
        }
    }

    private func expireWaiters() {
        for (index, pending) in proposals where pending.deadline <= ticks {
            for waiter in pending.waiters { waiter.resume(throwing: ReplicationError.unknownOutcome) }
            proposals[index] = nil
        }
        for (context, pending) in readsAwaitingQuorum where pending.deadline <= ticks {
            for waiter in pending.waiters { waiter.resume(throwing: ReplicationError.notLeader) }
            readsAwaitingQuorum[context] = nil
        }
        readsAwaitingApply.removeAll { pending in
            guard pending.read.deadline <= ticks else { return false }
            for waiter in pending.read.waiters { waiter.resume(throwing: ReplicationError.notLeader) }
            return true
        }
    }

    /// Fails waiting reads with `reads`, and waiting writes with `writes` when given (writes of a deposed
    /// leader may still commit under the next leader, so they are normally left to resolve on apply).
    private func failAll(writes: ReplicationError?, reads: ReplicationError) {
        if let writes {
            for pending in proposals.values {
                for waiter in pending.waiters { waiter.resume(throwing: writes) }
            }
            proposals = [:]
        }
        for pending in readsAwaitingQuorum.values {
            for waiter in pending.waiters { waiter.resume(throwing: reads) }
        }
        readsAwaitingQuorum = [:]
        for pending in readsAwaitingApply {
            for waiter in pending.read.waiters { waiter.resume(throwing: reads) }
        }
        readsAwaitingApply = []
    }

    private func fail(_ event: Event, _ error: ReplicationError) {
        switch event {
        case .write(_, let continuation), .read(let continuation), .membership(_, let continuation):
            continuation.resume(throwing: error)
        default: break
        }
    }

    // MARK: - Network

    private func send(_ message: Message) {
        guard let peer = peers[message.to] else { return }
        if case .installSnapshot = message.kind {
            sendSnapshot(message, to: peer)
            return
        }
        transport.send(to: peer, ClusterMessage(kind: .raft, payload: RaftWire.encode(message)))
    }

    /// Streams a snapshot in acknowledged chunks. The image is taken now, at an applied index at or above the
    /// snapshot's: entries after the snapshot index are full-value puts and deletes, so the follower re-applying
    /// them on top of the newer image ends in the same state.
    private func sendSnapshot(_ message: Message, to peer: ClusterNodeID) {
        guard !snapshotTransfers.contains(message.to) else { return }
        snapshotTransfers.insert(message.to)
        let store = self.store
        let transport = self.transport
        let logger = self.logger
        let target = message.to
        tasks.append(Task { [weak self] in
            var succeeded = false
            do {
                let image = try store.image()
                var header = message
                if case .installSnapshot(var snapshot) = header.kind {
                    snapshot.data = []
                    header.kind = .installSnapshot(snapshot)
                }
                let transfer = UInt64.random(in: 1...UInt64.max)
                let chunkSize = 4 << 20
                var offset = 0
                var chunk: UInt32 = 0
                repeat {
                    let end = min(image.count, offset + chunkSize)
                    var writer = WireWriter(capacity: end - offset + 64)
                    writer.u64(transfer)
                    writer.u32(chunk)
                    writer.bool(end == image.count)
                    writer.blob(chunk == 0 ? RaftWire.encode(header) : [])
                    writer.blob(image[offset..<end])
                    _ = try await transport.request(
                        to: peer, ClusterMessage(kind: .snapshotChunk, payload: writer.bytes), timeout: .seconds(30))
                    offset = end
                    chunk += 1
                } while offset < image.count
                succeeded = true
                logger.info("snapshot sent", metadata: ["peer": "\(peer)", "bytes": "\(image.count)"])
            } catch {
                logger.warning("snapshot transfer failed", metadata: ["peer": "\(peer)", "error": "\(error)"])
            }
            await self?.enqueue(.snapshotSent(target, succeeded))
        })
    }

    private func receive(_ inbound: InboundClusterMessage) {
        // A DR secondary's certificate reaches this port only to pull replication data: never Raft or snapshots.
        if DRIdentity.isSecondary(inbound.from), inbound.message.kind != .control { return }
        switch inbound.message.kind {
        case .raft:
            guard let message = try? RaftWire.decode(inbound.message.payload),
                message.to == id, message.from == Self.raftID(for: inbound.from)
            else { return }
            lastHeard[message.from] = .now
            enqueue(.message(message))
        case .snapshotChunk:
            receiveChunk(inbound)
        case .forwardRequest, .control:
            guard let handler = requestHandler else { return }
            let transport = self.transport
            Task {
                let answer = await handler(inbound.from, inbound.message)
                transport.send(to: inbound.from, inbound.message.response(payload: answer))
            }
        case .readIndex:
            let transport = self.transport
            Task {
                var writer = WireWriter(capacity: 8)
                if let index = try? await self.readIndexForFollower() { writer.u64(index) }
                transport.send(to: inbound.from, inbound.message.response(payload: writer.bytes))
            }
        case .forwardResponse:
            return
        }
    }

    private func receiveChunk(_ inbound: InboundClusterMessage) {
        let from = inbound.from
        defer { transport.send(to: from, inbound.message.response(payload: [])) }
        var reader = WireReader(inbound.message.payload)
        guard let transfer = try? reader.u64(), let chunk = try? reader.u32(), let last = try? reader.bool(),
            let header = try? reader.blob(), let data = try? reader.blob()
        else { return }
        if chunk == 0 {
            incomingSnapshots[from] = IncomingSnapshot(transfer: transfer, header: header, data: data, nextChunk: 1)
        } else if var incoming = incomingSnapshots[from], incoming.transfer == transfer, incoming.nextChunk == chunk {
            incoming.data.append(contentsOf: data)
            incoming.nextChunk += 1
            incomingSnapshots[from] = incoming
        } else {
            incomingSnapshots[from] = nil
            return
        }
        guard last, let incoming = incomingSnapshots.removeValue(forKey: from),
            var message = try? RaftWire.decode(incoming.header),
            message.to == id, message.from == Self.raftID(for: from),
            case .installSnapshot(var snapshot) = message.kind
        else { return }
        snapshot.data = incoming.data
        message.kind = .installSnapshot(snapshot)
        enqueue(.message(message))
    }
}

/// What `RaftRuntime.confirmLeadership()` checks on the caller's thread: a snapshot of the loop's state.
struct ReadGate: Sendable {
    /// When the lease ends; nil unless this node serves as leader of its term and holds a lease.
    var leaseExpiry: ContinuousClock.Instant?
    var committed: LogIndex = 0
    var applied: LogIndex = 0

    /// A read served now from the local state machine is linearizable: the lease holds and everything
    /// committed is applied.
    func admits(at now: ContinuousClock.Instant) -> Bool {
        guard let leaseExpiry else { return false }
        return now < leaseExpiry && applied >= committed
    }
}
