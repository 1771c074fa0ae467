extension RaftNode {
    /// Upper bound for terms and indexes accepted from the network.
    static let sanityLimit: UInt64 = 1 << 62

    // MARK: - Role transitions

    mutating func becomeFollower(term newTerm: Term, leader newLeader: NodeID?) {
        if newTerm != term {
            term = newTerm
            vote = nil
        }
        role = .follower
        leaderID = newLeader
        leader = nil
        votes = [:]
        heartbeatElapsed = 0
        resetElectionTimer()
    }

    mutating func campaign(preVote: Bool, transfer: Bool) {
        let electionTerm: Term
        if preVote {
            role = .preCandidate
            leaderID = nil
            leader = nil
            electionTerm = term + 1
        } else {
            term += 1
            vote = id
            role = .candidate
            leaderID = nil
            leader = nil
            electionTerm = term
            resetElectionTimer()
        }
        votes = [id: true]
        if tallyElection() { return }
        for peer in configuration.voters.sorted() where peer != id {
            let kind: MessageKind = preVote
                ? .preVote(lastIndex: log.lastIndex, lastTerm: log.lastTerm)
                : .vote(lastIndex: log.lastIndex, lastTerm: log.lastTerm, transfer: transfer)
            send(to: peer, term: electionTerm, kind)
        }
    }

    /// Counts votes; wins or loses the (pre-)election when a quorum decided. Returns true if it was decided.
    mutating func tallyElection() -> Bool {
        let voters = configuration.voters
        let granted = votes.filter { voters.contains($0.key) && $0.value }.count
        let refused = votes.filter { voters.contains($0.key) && !$0.value }.count
        if granted >= configuration.quorum {
            if role == .preCandidate {
                campaign(preVote: false, transfer: false)
            } else {
                becomeLeader()
            }
            return true
        }
        if refused >= configuration.quorum {
            becomeFollower(term: term, leader: nil)
            return true
        }
        return false
    }

    mutating func becomeLeader() {
        role = .leader
        leaderID = id
        votes = [:]
        heartbeatElapsed = 0
        resetElectionTimer()
        leader = LeaderState()
        applyConfigurationToProgress()
        // The no-op of the new term: committing it commits everything before it (Figure 8 rule).
        log.appendOne(Entry(index: log.lastIndex + 1, term: term, payload: .empty))
        leader?.needsBroadcast = true
    }

    /// Makes the leader's progress map track exactly the members of the configuration in force.
    mutating func applyConfigurationToProgress() {
        guard var state = leader else { return }
        let configuration = self.configuration
        for member in configuration.members {
            if state.progress[member] == nil {
                var progress = Progress(
                    next: log.lastIndex + 1, isLearner: false,
                    inflights: Inflights(maxCount: config.maxInflightMessages, maxBytes: config.maxInflightBytes)
                )
                if member == id {
                    progress.match = log.persistedIndex
                    progress.state = .replicate
                    progress.recentActive = true
                } else if log.lastIndex > 0 {
                    // Probe from the last entry; rejections walk back quickly thanks to the conflict hint.
                    progress.next = log.lastIndex
                }
                state.progress[member] = progress
            }
            state.progress[member]?.isLearner = !configuration.isVoter(member)
        }
        for member in state.progress.keys where !configuration.members.contains(member) {
            state.progress[member] = nil
        }
        if let transferee = state.transferee, !configuration.isVoter(transferee) {
            state.transferee = nil
        }
        leader = state
    }

    mutating func tickLeader() {
        electionElapsed += 1
        heartbeatElapsed += 1
        if var state = leader {
            for (peer, progress) in state.progress {
                if case .snapshot(let pending, let waiting) = progress.state {
                    if waiting + 1 > 2 * config.electionTimeout {
                        state.progress[peer]?.becomeProbe()
                    } else {
                        state.progress[peer]?.state = .snapshot(pendingIndex: pending, ticksWaiting: waiting + 1)
                    }
                }
            }
            leader = state
        }
        if electionElapsed >= config.electionTimeout {
            electionElapsed = 0
            if config.checkQuorum {
                guard quorumRecentlyActive() else {
                    becomeFollower(term: term, leader: nil)
                    return
                }
                for peer in leader?.progress.keys.sorted() ?? [] where peer != id {
                    leader?.progress[peer]?.recentActive = false
                }
            }
            leader?.transferee = nil
        }
        if heartbeatElapsed >= config.heartbeatInterval {
            heartbeatElapsed = 0
            broadcastHeartbeat()
        }
    }

    func quorumRecentlyActive() -> Bool {
        let configuration = self.configuration
        guard let leader else { return false }
        let active = configuration.voters.filter { $0 == id || leader.progress[$0]?.recentActive == true }
        return active.count >= configuration.quorum
    }

    // MARK: - Receiving messages

    /// Feeds one message received from the network. Messages not addressed to this node, from itself, from a
    /// stale term, or malformed are ignored (stale leaders are told the current term).
    public mutating func step(_ message: Message) {
        // Terms and indexes near the top of their range can only come from corrupt input; refusing them keeps
        // every `+ 1` below free of overflow.
        guard message.to == id, message.from != id, message.from != 0, message.term < Self.sanityLimit else { return }
        if message.term > term {
            switch message.kind {
            case .preVote, .vote(_, _, false):
                // Leader lease: while we hear from a leader, refuse to help anyone depose it.
                if config.checkQuorum, leaderID != nil, electionElapsed < config.electionTimeout {
                    return
                }
                // A restarted voter may have acknowledged a leader's lease just before it went down.
                if config.checkQuorum, config.leaderLease, ticksSinceStart < config.electionTimeout {
                    return
                }
            default:
                break
            }
            switch message.kind {
            case .preVote:
                break
            case .preVoteResponse(granted: true):
                break
            case .append, .heartbeat, .installSnapshot:
                becomeFollower(term: message.term, leader: message.from)
            default:
                becomeFollower(term: message.term, leader: nil)
            }
        } else if message.term < term {
            switch message.kind {
            case .append, .heartbeat:
                // Tell a stale leader about the newer term so it steps down (matters with check-quorum and
                // pre-vote, where the newer term may never reach it otherwise).
                send(to: message.from, .heartbeatResponse(context: 0))
            case .preVote:
                send(to: message.from, .preVoteResponse(granted: false))
            default:
                break
            }
            return
        }

        switch message.kind {
        case .preVote(let lastIndex, let lastTerm):
            let canVote = vote == message.from || (vote == nil && leaderID == nil) || message.term > term
            if canVote, log.isUpToDate(lastIndex: lastIndex, lastTerm: lastTerm) {
                send(to: message.from, term: message.term, .preVoteResponse(granted: true))
            } else {
                send(to: message.from, .preVoteResponse(granted: false))
            }
        case .vote(let lastIndex, let lastTerm, _):
            let canVote = vote == message.from || (vote == nil && leaderID == nil)
            if canVote, log.isUpToDate(lastIndex: lastIndex, lastTerm: lastTerm) {
                vote = message.from
                electionElapsed = 0
                send(to: message.from, .voteResponse(granted: true))
            } else {
                send(to: message.from, .voteResponse(granted: false))
            }
        case .preVoteResponse(let granted):
            guard role == .preCandidate else { return }
            votes[message.from] = granted
            _ = tallyElection()
        case .voteResponse(let granted):
            guard role == .candidate else { return }
            votes[message.from] = granted
            _ = tallyElection()
        case .append(let append):
            guard role != .leader else { return }
            becomeFollowerOfSender(message)
            handleAppend(from: message.from, append)
        case .heartbeat(let commit, let context):
            guard role != .leader else { return }
            becomeFollowerOfSender(message)
            log.commit(to: min(commit, log.lastIndex))
            send(to: message.from, .heartbeatResponse(context: context))
        case .installSnapshot(let snapshot):
            guard role != .leader else { return }
            becomeFollowerOfSender(message)
            handleSnapshot(from: message.from, snapshot)
        case .appendResponse(let response):
            guard role == .leader else { return }
            handleAppendResponse(from: message.from, response)
        case .heartbeatResponse(let context):
            guard role == .leader else { return }
            handleHeartbeatResponse(from: message.from, context: context)
        case .timeoutNow:
            guard role != .leader, isPromotable else { return }
            campaign(preVote: false, transfer: true)
        }
    }

    /// A message from the leader of our term: follow it and restart the election timer.
    mutating func becomeFollowerOfSender(_ message: Message) {
        if role != .follower || leaderID != message.from {
            becomeFollower(term: message.term, leader: message.from)
        }
        electionElapsed = 0
    }
}
