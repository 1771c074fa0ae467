extension RaftNode {
    // MARK: - Follower side

    mutating func handleAppend(from sender: NodeID, _ append: AppendEntries) {
        guard Self.isWellFormed(append, messageTerm: term) else { return }
        if append.prevIndex < log.committed {
            // Everything up to our commit index is known to match; let the leader continue from there.
            send(to: sender, .appendResponse(.accepted(matchIndex: log.committed)))
            return
        }
        switch log.append(after: append.prevIndex, prevTerm: append.prevTerm, entries: append.entries) {
        case .appended(let lastNewIndex):
            log.commit(to: min(append.commit, lastNewIndex))
            send(to: sender, .appendResponse(.accepted(matchIndex: lastNewIndex)))
        case .mismatch:
            let hint = log.lastIndex(atOrBefore: append.prevIndex, withTermAtMost: append.prevTerm)
            let rejection = AppendResponse.rejected(
                rejectedPrevIndex: append.prevIndex, hintIndex: hint.index, hintTerm: hint.term
            )
            send(to: sender, .appendResponse(rejection))
        case .conflictsWithCommitted:
            // Only a buggy or byzantine leader asks this; refuse silently rather than lose committed entries.
            return
        }
    }

    /// Entries must follow prevIndex contiguously, with terms that never decrease and never exceed the sender's.
    static func isWellFormed(_ append: AppendEntries, messageTerm: Term) -> Bool {
        guard append.prevIndex < sanityLimit, append.commit < sanityLimit else { return false }
        var expectedIndex = append.prevIndex + 1
        var lastTerm = append.prevTerm
        for entry in append.entries {
            guard entry.index == expectedIndex, entry.term >= lastTerm, entry.term <= messageTerm else { return false }
            expectedIndex += 1
            lastTerm = entry.term
        }
        return append.prevTerm <= messageTerm
    }

    mutating func handleSnapshot(from sender: NodeID, _ snapshot: Snapshot) {
        let metadata = snapshot.metadata
        guard metadata.index > 0, metadata.index < Self.sanityLimit, metadata.term <= term else { return }
        if metadata.index <= log.committed {
            send(to: sender, .appendResponse(.accepted(matchIndex: log.committed)))
            return
        }
        if log.matches(index: metadata.index, term: metadata.term) {
            // We already hold the entries the snapshot covers: just learn that they are committed.
            log.commit(to: metadata.index)
            send(to: sender, .appendResponse(.accepted(matchIndex: metadata.index)))
            return
        }
        log.restore(metadata)
        snapshotToInstall = snapshot
        send(to: sender, .appendResponse(.accepted(matchIndex: metadata.index)))
    }

    // MARK: - Leader side

    mutating func handleAppendResponse(from sender: NodeID, _ response: AppendResponse) {
        guard leader?.progress[sender] != nil else { return }
        leader?.progress[sender]?.recentActive = true
        switch response {
        case .rejected(let rejectedIndex, let hintIndex, let hintTerm):
            let probeIndex = hintTerm > 0
                ? log.lastIndex(atOrBefore: hintIndex, withTermAtMost: hintTerm).index
                : min(hintIndex, log.lastIndex)
            if leader?.progress[sender]?.rejected(rejectedIndex, probeIndex: probeIndex) == true {
                sendAppend(to: sender)
            }
        case .accepted(let matchIndex):
            guard matchIndex <= log.lastIndex else { return }
            guard var progress = leader?.progress[sender] else { return }
            let wasPaused = progress.isPaused
            guard progress.acknowledge(matchIndex) else {
                leader?.progress[sender] = progress
                if wasPaused != progress.isPaused { sendAppend(to: sender) }
                return
            }
            switch progress.state {
            case .probe:
                progress.becomeReplicate()
            case .snapshot(let pending, _):
                if progress.match >= pending { progress.becomeProbe() }
            case .replicate:
                break
            }
            leader?.progress[sender] = progress
            if maybeCommit() {
                // Every follower must hear of the new commit index in this turn, or it learns it only from the
                // next heartbeat (and a leader that stops first, as it does when it applies a snapshot restore,
                // leaves a follower that never applies the entry). `ready()` tells it, once the turn's
                // proposals are in the log: on the AppendEntries that carries them when there are any, so the
                // follower persists the new entries and applies the committed ones in one fsync, rather than
                // one for an empty append and one for the entries.
                leader?.needsCommitAnnouncement = true
                while sendAppend(to: sender) {}
            } else {
                while sendAppend(to: sender) {}
            }
            if leader?.transferee == sender, progress.match == log.lastIndex {
                send(to: sender, .timeoutNow)
            }
        }
    }

    mutating func handleHeartbeatResponse(from sender: NodeID, context: UInt64) {
        guard var progress = leader?.progress[sender] else { return }
        progress.recentActive = true
        progress.probeSent = false
        if case .replicate = progress.state, progress.inflights.isFull {
            progress.inflights.freeFirst()
        }
        leader?.progress[sender] = progress
        if progress.match < log.lastIndex {
            sendAppend(to: sender, allowEmpty: true)
        }
        if context > 0 {
            if config.leaderLease, var state = leader, context <= state.readRound {
                state.acknowledgedRounds[sender] = max(state.acknowledgedRounds[sender] ?? 0, context)
                leader = state
            }
            acknowledgeReads(from: sender, round: context)
        }
    }

    /// Sends the next batch to `peer` if its flow control allows. Returns true if something was sent.
    @discardableResult
    mutating func sendAppend(to peer: NodeID, allowEmpty: Bool = false) -> Bool {
        guard peer != id, var progress = leader?.progress[peer], !progress.isPaused else { return false }
        let prevIndex = progress.next - 1
        guard let prevTerm = log.term(at: prevIndex) else {
            return sendSnapshot(to: peer)
        }
        let entries = log.batch(
            from: progress.next, maxCount: config.maxEntriesPerMessage, maxBytes: config.maxBytesPerMessage
        )
        guard !entries.isEmpty || allowEmpty else { return false }
        send(to: peer, .append(AppendEntries(prevIndex: prevIndex, prevTerm: prevTerm, entries: entries,
                                             commit: log.committed)))
        switch progress.state {
        case .replicate:
            if let last = entries.last {
                progress.next = last.index + 1
                progress.inflights.add(index: last.index, bytes: entries.reduce(0) { $0 + $1.byteCount })
            }
        case .probe:
            progress.probeSent = true
        case .snapshot:
            break
        }
        leader?.progress[peer] = progress
        return !entries.isEmpty
    }

    mutating func sendSnapshot(to peer: NodeID) -> Bool {
        guard let snapshot = latestSnapshot else { return false }
        leader?.progress[peer]?.becomeSnapshot(index: snapshot.index)
        send(to: peer, .installSnapshot(snapshot))
        return false
    }

    mutating func broadcastAppend(allowEmpty: Bool = false) {
        for peer in configuration.members.sorted() where peer != id {
            if allowEmpty, leader?.progress[peer]?.isPaused == false, !hasUnsentEntries(peer) {
                sendAppend(to: peer, allowEmpty: true)
            }
            while sendAppend(to: peer) {}
        }
    }

    /// Whether `peer`'s next index is within the log (a normal append would carry entries).
    private func hasUnsentEntries(_ peer: NodeID) -> Bool {
        guard let next = leader?.progress[peer]?.next else { return false }
        return next <= log.lastIndex
    }

    mutating func broadcastHeartbeat() {
        if config.leaderLease, leader != nil {
            // A fresh round per heartbeat: its acknowledgement by a quorum starts a lease (see `leaseRounds`).
            leader?.readRound += 1
            broadcastHeartbeat(round: leader?.readRound ?? 0)
            return
        }
        let round = (leader?.pendingReads.isEmpty ?? true) ? 0 : (leader?.readRound ?? 0)
        broadcastHeartbeat(round: round)
    }

    /// The leader's heartbeat rounds: the latest one it issued, and the latest one that a quorum of voters
    /// (counting itself) acknowledged. A round is issued by a tick or a ReadIndex request and sent in the
    /// next `Ready`; a voter that acknowledges it has reset its election timer after it was sent. Nil unless
    /// this node leads and `RaftConfig.leaderLease` is set.
    public var leaseRounds: (issued: UInt64, acknowledged: UInt64)? {
        guard config.leaderLease, config.checkQuorum, let leader else { return nil }
        let voters = configuration.voters
        let rounds = voters.map { $0 == id ? leader.readRound : leader.acknowledgedRounds[$0] ?? 0 }
            .sorted(by: >)
        guard !rounds.isEmpty else { return nil }
        return (leader.readRound, rounds[configuration.quorum - 1])
    }

    mutating func broadcastHeartbeat(round: UInt64) {
        guard let leader else { return }
        for peer in configuration.members.sorted() where peer != id {
            let match = leader.progress[peer]?.match ?? 0
            send(to: peer, .heartbeat(commit: min(match, log.committed), context: round))
        }
    }

    /// Advances the commit index to the highest index replicated on a quorum of voters, but only if that entry
    /// is from the current term (Figure 8). Returns true if the commit index moved.
    mutating func maybeCommit() -> Bool {
        guard let leader else { return false }
        let configuration = self.configuration
        let matches = configuration.voters.map { leader.progress[$0]?.match ?? 0 }.sorted(by: >)
        guard !matches.isEmpty else { return false }
        let candidate = matches[configuration.quorum - 1]
        guard candidate > log.committed else { return false }
        guard log.term(at: candidate) == term || config.has(.commitPreviousTermByCount) else { return false }
        log.commit(to: candidate)
        afterCommitAdvanced()
        return true
    }

    mutating func afterCommitAdvanced() {
        guard role == .leader else { return }
        if log.term(at: log.committed) == term, let waiting = leader?.readsAwaitingTermCommit, !waiting.isEmpty {
            leader?.readsAwaitingTermCommit = []
            for context in waiting {
                startRead(context: context)
            }
        }
        // A leader removed from the configuration steps down once the removal is committed.
        if !configuration.isVoter(id), log.lastConfigurationIndex <= log.committed {
            broadcastAppend()
            becomeFollower(term: term, leader: nil)
        }
    }

    // MARK: - ReadIndex

    mutating func startRead(context: UInt64) {
        guard var state = leader else { return }
        if configuration.voters == [id] {
            readStates.append(ReadState(context: context, index: log.committed))
            return
        }
        state.readRound += 1
        state.pendingReads.append(
            PendingRead(context: context, index: log.committed, round: state.readRound, acknowledgedBy: [id])
        )
        leader = state
        broadcastHeartbeat(round: state.readRound)
    }

    mutating func acknowledgeReads(from sender: NodeID, round: UInt64) {
        guard var state = leader, configuration.isVoter(sender) else { return }
        for k in state.pendingReads.indices where state.pendingReads[k].round <= round {
            state.pendingReads[k].acknowledgedBy.insert(sender)
        }
        let voters = configuration.voters
        while let first = state.pendingReads.first,
            first.acknowledgedBy.intersection(voters).count >= configuration.quorum
        {
            readStates.append(ReadState(context: first.context, index: first.index))
            state.pendingReads.removeFirst()
        }
        leader = state
    }
}
