/// One Raft node as a deterministic state machine (Raft paper; Ongaro's thesis for pre-vote, membership and
/// ReadIndex), in the shape of etcd's raft: the runtime feeds it ticks, received messages and client requests,
/// then drains a `Ready` and calls `advance`. It performs no I/O, reads no clock and draws randomness only from
/// the seed in its `RaftConfig`, so the same inputs always give the same outputs.
///
/// A `RaftNode` is a value owned by one runtime (one actor or event loop); it is `Sendable` because all of
/// its state is. Every message is untrusted input: invalid or stale messages are dropped, never trapped on.
///
/// The runtime loop:
/// ```
/// node.tick()                      // every tick interval
/// node.step(message)               // for every message received
/// let id = try node.propose(bytes) // leader only; committed iff an entry with `id` is applied
/// while node.hasReady {
///     let ready = node.ready()
///     persist(ready.snapshot, ready.entries, ready.hardState)   // fsync
///     send(ready.messages)
///     apply(ready.snapshot, ready.committedEntries); serve(ready.readStates)
///     node.advance(ready)
/// }
/// ```
public struct RaftNode: Sendable {
    public let id: NodeID
    let config: RaftConfig
    var random: SeededGenerator

    public internal(set) var term: Term
    public internal(set) var vote: NodeID?
    public internal(set) var role: RaftRole = .follower
    public internal(set) var leaderID: NodeID?
    public internal(set) var log: RaftLog

    var electionElapsed = 0
    var heartbeatElapsed = 0
    var randomizedElectionTimeout = 0
    /// Ticks since this node started, counted up to the election timeout (see `RaftConfig.leaderLease`).
    var ticksSinceStart = 0
    /// Granted (true) and refused (false) votes of the current (pre-)election.
    var votes: [NodeID: Bool] = [:]
    /// Non-nil exactly when `role == .leader`.
    var leader: LeaderState?

    var outbox: [Message] = []
    var readStates: [ReadState] = []
    var persistedHardState: HardState
    /// A snapshot received from the leader, to be persisted and installed by the runtime.
    var snapshotToInstall: Snapshot?
    /// The latest snapshot, sent to followers whose next entry was compacted away.
    public internal(set) var latestSnapshot: Snapshot?

    /// Starts (or restarts) a node from what the runtime read back from stable storage.
    public init(config: RaftConfig, state: PersistentState) {
        id = config.id
        self.config = config
        random = SeededGenerator(seed: config.randomSeed ^ (config.id &* 0x9E37_79B9_7F4A_7C15))
        term = state.hardState.term
        vote = state.hardState.vote
        persistedHardState = state.hardState
        log = RaftLog(
            snapshot: state.snapshot.metadata, entries: state.entries,
            committed: state.hardState.commit, applied: state.applied
        )
        latestSnapshot = state.snapshot.index > 0 ? state.snapshot : nil
        resetElectionTimer()
    }

    public var status: RaftStatus {
        RaftStatus(
            id: id, role: role, term: term, vote: vote, leader: leaderID, commit: log.committed,
            applied: log.applied, lastIndex: log.lastIndex, configuration: log.configuration,
            transferee: leader?.transferee
        )
    }

    /// The leader's view of each follower's replication (empty unless this node is leader).
    public var progress: [NodeID: Progress] { leader?.progress ?? [:] }

    var configuration: Configuration { log.configuration }

    /// A node may campaign only if it is a voter and is not in the middle of installing a snapshot.
    var isPromotable: Bool { configuration.isVoter(id) && snapshotToInstall == nil }

    // MARK: - Driving the node

    /// Advances logical time by one tick: election timeouts for followers and candidates; heartbeats,
    /// check-quorum and transfer timeouts for leaders.
    public mutating func tick() {
        if ticksSinceStart < config.electionTimeout { ticksSinceStart += 1 }
        if role == .leader {
            tickLeader()
        } else {
            electionElapsed += 1
            if isPromotable, electionElapsed >= randomizedElectionTimeout {
                electionElapsed = 0
                campaign(preVote: config.preVote, transfer: false)
            }
        }
    }

    /// Forces an immediate election (skipping pre-vote), e.g. to bootstrap a single-node cluster quickly.
    public mutating func campaign() {
        guard role != .leader, isPromotable else { return }
        campaign(preVote: false, transfer: false)
    }

    /// True when `ready()` would return something to do.
    public var hasReady: Bool {
        if let leader, leader.needsBroadcast || leader.needsCommitAnnouncement { return true }
        return !outbox.isEmpty || !readStates.isEmpty || snapshotToInstall != nil
            || currentHardState != persistedHardState || log.persistedIndex < log.lastIndex
            || log.applied < log.committed
    }

    var currentHardState: HardState { HardState(term: term, vote: vote, commit: log.committed) }

    /// Collects what the runtime must persist, send and apply. Call `advance(_:)` with the result before any
    /// other call on this node.
    public mutating func ready() -> Ready {
        if let state = leader, state.needsBroadcast || state.needsCommitAnnouncement {
            leader?.needsBroadcast = false
            leader?.needsCommitAnnouncement = false
            broadcastAppend(allowEmpty: state.needsCommitAnnouncement)
        }
        let hardState = currentHardState
        var ready = Ready(
            hardState: hardState == persistedHardState ? nil : hardState,
            snapshot: snapshotToInstall,
            entries: log.unpersistedEntries,
            messages: outbox,
            committedEntries: log.entries(from: max(log.applied, log.snapshotIndex) + 1, through: log.committed),
            readStates: readStates
        )
        if ready.snapshot != nil {
            // Entries before the snapshot cannot be applied on top of it.
            ready.committedEntries.removeAll { $0.index <= log.snapshotIndex }
        }
        outbox.removeAll()
        readStates.removeAll()
        return ready
    }

    /// Tells the node that the runtime persisted, sent and applied everything in `ready`.
    public mutating func advance(_ ready: Ready) {
        if let hardState = ready.hardState {
            persistedHardState = hardState
        }
        if let snapshot = ready.snapshot {
            if snapshotToInstall == snapshot { snapshotToInstall = nil }
            log.applied = max(log.applied, snapshot.index)
            if snapshot.index > (latestSnapshot?.index ?? 0) { latestSnapshot = snapshot }
        }
        if let last = ready.entries.last, log.term(at: last.index) == last.term {
            log.persistedIndex = max(log.persistedIndex, last.index)
        }
        if let last = ready.committedEntries.last {
            log.applied = max(log.applied, last.index)
        }
        if role == .leader {
            if leader?.progress[id] != nil {
                _ = leader?.progress[id]?.acknowledge(log.persistedIndex)
            }
            if maybeCommit() {
                leader?.needsCommitAnnouncement = true
            }
        }
    }

    // MARK: - Client requests

    /// Appends a command to the leader's log. The command is committed exactly when an entry with the returned
    /// `EntryID` appears in `Ready.committedEntries`; if another entry is committed at that index, it was lost.
    public mutating func propose(_ command: [UInt8]) throws(RaftError) -> EntryID {
        try appendAsLeader(.command(command))
    }

    /// Proposes a single-server membership change. Refused while another change is uncommitted or before the
    /// leader has committed an entry of its own term (the fix to single-server changes from the thesis).
    public mutating func proposeConfigChange(_ change: ConfigChange) throws(RaftError) -> EntryID {
        guard role == .leader, let leader else { throw .notLeader(leader: leaderID) }
        guard leader.transferee == nil else { throw .transferInProgress }
        guard log.lastConfigurationIndex <= log.committed, log.term(at: log.committed) == term else {
            throw .configChangePending
        }
        guard let next = configuration.applying(change) else { throw .invalidConfigChange }
        if case .promoteLearner(let learner) = change {
            guard let progress = leader.progress[learner], progress.match >= log.committed else {
                throw .learnerNotCaughtUp
            }
        }
        let id = try appendAsLeader(.configuration(next))
        applyConfigurationToProgress()
        return id
    }

    /// Asks for a linearizable read. If accepted, a `ReadState` with this `context` appears in a later `Ready`
    /// (the read is served once the applied index reaches its index). If leadership is lost first, the request
    /// is silently dropped: the runtime should time it out and retry.
    public mutating func readIndex(context: UInt64) throws(RaftError) {
        guard role == .leader else { throw .notLeader(leader: leaderID) }
        if config.has(.readWithoutQuorum) {
            readStates.append(ReadState(context: context, index: log.committed))
            return
        }
        guard log.term(at: log.committed) == term else {
            leader?.readsAwaitingTermCommit.append(context)
            return
        }
        startRead(context: context)
    }

    /// Hands leadership to `target`: the leader stops accepting proposals, brings the target up to date and
    /// tells it to campaign at once. Abandoned after an election timeout.
    public mutating func transferLeadership(to target: NodeID) throws(RaftError) {
        guard role == .leader else { throw .notLeader(leader: leaderID) }
        guard target != id, configuration.isVoter(target) else { throw .invalidTransferTarget }
        if leader?.transferee == target { return }
        leader?.transferee = target
        electionElapsed = 0
        if leader?.progress[target]?.match == log.lastIndex {
            send(to: target, .timeoutNow)
        } else {
            sendAppend(to: target)
        }
    }

    /// The application captured its state through `index` (already applied) in `data`; the log up to that
    /// index is discarded. The runtime persists the snapshot itself before calling this.
    public mutating func compact(through index: LogIndex, snapshotData data: [UInt8]) throws(RaftError) {
        guard index > log.snapshotIndex, index <= log.applied, let entryTerm = log.term(at: index) else {
            throw .invalidCompactionIndex
        }
        let metadata = SnapshotMetadata(index: index, term: entryTerm, configuration: log.configuration(at: index))
        latestSnapshot = Snapshot(metadata: metadata, data: data)
        log.compact(through: index)
    }

    /// The transport could not reach `peer`: stop pipelining to it and probe again (leader only).
    public mutating func reportUnreachable(_ peer: NodeID) {
        guard role == .leader, case .replicate = leader?.progress[peer]?.state else { return }
        leader?.progress[peer]?.becomeProbe()
    }

    /// The transport finished (or gave up) streaming a snapshot to `peer`. On failure the leader probes again
    /// instead of waiting for the snapshot retry timeout; on success it waits for the follower's answer.
    public mutating func reportSnapshot(to peer: NodeID, succeeded: Bool) {
        guard role == .leader, case .snapshot = leader?.progress[peer]?.state, !succeeded else { return }
        leader?.progress[peer]?.becomeProbe()
        leader?.progress[peer]?.probeSent = true
    }

    // MARK: - Internals shared by the extensions

    mutating func send(to target: NodeID, term messageTerm: Term? = nil, _ kind: MessageKind) {
        outbox.append(Message(from: id, to: target, term: messageTerm ?? term, kind: kind))
    }

    mutating func resetElectionTimer() {
        electionElapsed = 0
        let span = UInt64(config.electionTimeout)
        randomizedElectionTimeout = config.electionTimeout + Int(random.next() % span)
    }

    mutating func appendAsLeader(_ payload: EntryPayload) throws(RaftError) -> EntryID {
        guard role == .leader, let leader else { throw .notLeader(leader: leaderID) }
        guard leader.transferee == nil else { throw .transferInProgress }
        let entry = Entry(index: log.lastIndex + 1, term: term, payload: payload)
        log.appendOne(entry)
        self.leader?.needsBroadcast = true
        return entry.id
    }
}
