import Testing
@testable import Raft

@Suite struct ReplicationTests {
    /// The follower logs of the paper's Figure 7, against the leader's [1,1,1,4,4,5,5,6,6,6].
    static let figure7Followers: [(String, [Term])] = [
        ("a", [1, 1, 1, 4, 4, 5, 5, 6, 6]),
        ("b", [1, 1, 1, 4]),
        ("c", [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6]),
        ("d", [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7]),
        ("e", [1, 1, 1, 4, 4, 4, 4]),
        ("f", [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3]),
    ]

    @Test(arguments: figure7Followers)
    func figure7FollowerConvergesToTheLeadersLog(name: String, follower: [Term]) {
        let leaderLog: [Term] = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6]
        var cluster = TestCluster()
        cluster.add(1, state: TestCluster.state(terms: leaderLog, hardTerm: 7, voters: [1, 2, 3]))
        cluster.add(2, state: TestCluster.state(terms: follower, hardTerm: 7, voters: [1, 2, 3]))
        cluster.add(3, state: TestCluster.state(terms: [], hardTerm: 7, voters: [1, 2, 3]))
        cluster.elect(1)
        cluster.run(rounds: 1)
        #expect(cluster[1].role == .leader, "case \(name)")
        #expect(cluster[1].term == 8)
        let expected = leaderLog + [8]
        #expect(cluster.terms(of: 2) == expected, "case \(name)")
        #expect(cluster.terms(of: 3) == expected, "case \(name)")
        #expect(cluster[1].log.committed == 11)
        #expect(cluster[2].log.committed == 11)
    }

    @Test func conflictHintsSkipWholeTerms() {
        // Follower (f) diverges from index 4 with eight entries of terms 2 and 3; one-entry probing would need
        // eight rejections, the term hint needs at most two.
        let leaderLog: [Term] = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6]
        var cluster = TestCluster()
        cluster.add(1, state: TestCluster.state(terms: leaderLog, hardTerm: 7, voters: [1, 2, 3]))
        let follower: [Term] = [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3]
        cluster.add(2, state: TestCluster.state(terms: follower, hardTerm: 7, voters: [1, 2, 3]))
        cluster.add(3, state: TestCluster.state(terms: [], hardTerm: 7, voters: [1, 2, 3]))
        cluster.isolated = [2]
        cluster.elect(1)
        #expect(cluster[1].role == .leader)
        cluster.isolated = []
        cluster.tick(1)
        var rejections = 0
        while !cluster.inFlight.isEmpty {
            let message = cluster.inFlight.removeFirst()
            if case .appendResponse(.rejected) = message.kind { rejections += 1 }
            cluster.nodes[message.to]?.step(message)
            cluster.drain(message.to)
        }
        #expect(cluster.terms(of: 2) == leaderLog + [8])
        #expect(rejections <= 2, "rejections: \(rejections)")
    }

    @Test func figure8APreviousTermEntryIsNotCommittedByCountingReplicas() {
        let (cluster, _) = Self.figure8(configure: { _ in })
        // Entry 2 (term 2) is now on a majority (nodes 1 and 2) but the leader's term is 4: not committed.
        #expect(cluster[1].progress[2]?.match == 2)
        #expect(cluster[1].log.committed == 1)
        #expect(cluster.applied[1]?.contains { $0.index == 2 } != true)
    }

    #if DEBUG
    @Test func figure8BugInjectionCommitsByCounting() {
        let (cluster, _) = Self.figure8(configure: { $0.bugs = .commitPreviousTermByCount })
        #expect(cluster[1].log.committed == 2, "the planted bug commits the old entry")
    }
    #endif

    /// Figure 8 (c): leader 1 in term 4 holds [1@1, 2@2]; node 2 holds [1@1]; node 3 holds [1@1, 2@3] (term 3
    /// entry, not a candidate now). Only the first AppendEntries (carrying entry 2 alone) reaches node 2.
    static func figure8(configure: @escaping (inout RaftConfig) -> Void) -> (TestCluster, Void) {
        var cluster = TestCluster()
        let voters: Set<NodeID> = [1, 2, 3]
        var leaderState = TestCluster.state(terms: [1, 2], hardTerm: 3, voters: voters)
        leaderState.hardState.commit = 1
        cluster.add(1, state: leaderState) { config in
            config.maxEntriesPerMessage = 1
            configure(&config)
        }
        cluster.add(2, state: TestCluster.state(terms: [1], hardTerm: 3, voters: voters), configure: configure)
        cluster.add(3, state: TestCluster.state(terms: [1, 3], hardTerm: 3, voters: voters), configure: configure)
        // Make node 1 leader of term 4 with node 2's vote only; node 3 stays cut off.
        cluster.isolated = [3]
        cluster.nodes[1]?.campaign()
        cluster.deliverAll { $0.kind != .appendResponse(.accepted(matchIndex: 3)) && !Self.carriesNoop($0) }
        return (cluster, ())
    }

    static func carriesNoop(_ message: Message) -> Bool {
        if case .append(let append) = message.kind { return append.entries.contains { $0.term == 4 } }
        return false
    }

    @Test func batchingPutsSeveralEntriesInOneAppend() throws {
        var cluster = TestCluster(voters: [1, 2, 3]) { $0.maxEntriesPerMessage = 4 }
        cluster.elect(1)
        for k in 0..<10 { _ = try cluster.nodes[1]?.propose([UInt8(k)]) }
        cluster.drain(1)
        let appendsTo2 = cluster.inFlight.filter { $0.to == 2 }.compactMap { message -> Int? in
            if case .append(let append) = message.kind { return append.entries.count }
            return nil
        }
        #expect(appendsTo2 == [4, 4, 2], "10 proposals in one Ready travel as 3 batches, pipelined")
        cluster.deliverAll()
        #expect(cluster[2].log.lastIndex == 11)
        #expect(cluster[1].log.committed == 11)
    }

    @Test func inflightLimitPausesAFollowerUntilItAcknowledges() throws {
        var cluster = TestCluster(voters: [1, 2, 3]) { $0.maxEntriesPerMessage = 1; $0.maxInflightMessages = 2 }
        cluster.elect(1)
        for k in 0..<5 { _ = try cluster.nodes[1]?.propose([UInt8(k)]) }
        cluster.drain(1)
        #expect(cluster.inFlight.filter { $0.to == 2 }.count == 2)
        #expect(cluster[1].progress[2]?.state == .replicate)
        cluster.deliverAll()
        #expect(cluster[2].log.lastIndex == 6)
    }

    @Test func byteLimitSplitsBatches() throws {
        var cluster = TestCluster(voters: [1, 2]) { $0.maxBytesPerMessage = 100 }
        cluster.elect(1)
        for _ in 0..<3 { _ = try cluster.nodes[1]?.propose([UInt8](repeating: 1, count: 60)) }
        cluster.drain(1)
        let sizes = cluster.inFlight.filter { $0.to == 2 }.compactMap { message -> Int? in
            if case .append(let append) = message.kind { return append.entries.count }
            return nil
        }
        #expect(sizes == [1, 1, 1])
    }

    @Test func aFollowerAnswersOnlyAfterThePersistInstructionInTheSameReady() {
        var follower = RaftNode(config: TestCluster.config(2), state: .bootstrap(voters: [1, 2, 3]))
        let entries = [Entry(index: 1, term: 1, payload: .command([1]))]
        follower.step(Message(from: 1, to: 2, term: 1, kind: .append(AppendEntries(
            prevIndex: 0, prevTerm: 0, entries: entries, commit: 0
        ))))
        let ready = follower.ready()
        #expect(ready.entries == entries)
        #expect(ready.hardState?.term == 1)
        #expect(ready.mustPersist)
        #expect(ready.messages.map(\.kind) == [.appendResponse(.accepted(matchIndex: 1))])
        follower.advance(ready)
        #expect(!follower.hasReady)
    }

    /// The runtime sends a leader's AppendEntries before the leader's own append is durable; that is safe only
    /// because the leader counts its own copy towards a commit after `advance`, never before.
    @Test func aLeaderCountsItsOwnCopyOnlyOnceItIsPersisted() throws {
        var cluster = TestCluster()
        for id: NodeID in [1, 2, 3] { cluster.add(id, state: .bootstrap(voters: [1, 2, 3])) }
        cluster.elect(1)
        try #require(cluster[1].role == .leader)
        let committedBefore = cluster[1].log.committed
        let entry = try cluster.nodes[1]!.propose([7])
        let ready = cluster.nodes[1]!.ready()
        #expect(ready.entries.map(\.index) == [entry.index])
        // Node 2 receives the append, persists it and acknowledges, while the leader has not persisted.
        for message in ready.messages where message.to == 2 {
            cluster.nodes[2]!.step(message)
        }
        cluster.drain(2)
        let acknowledgements = cluster.inFlight.filter { $0.to == 1 }
        cluster.inFlight.removeAll()
        for message in acknowledgements { cluster.nodes[1]!.step(message) }
        // One durable copy of three: not committed.
        #expect(cluster[1].log.committed == committedBefore)
        // The leader's own append becomes durable: two of three, committed.
        cluster.nodes[1]!.advance(ready)
        #expect(cluster[1].log.committed == entry.index)
    }

    /// A commit reaches every follower in the leader's next messages, even one with nothing new to append: a
    /// leader that stops right after applying (it seals on a snapshot restore) must not leave a follower that
    /// learns of the commit only from a heartbeat that never comes.
    @Test func aLeaderTellsEveryFollowerOfANewCommitAtOnce() throws {
        var (cluster, entry) = try Self.leaderThatJustCommitted()
        let toThree = cluster.nodes[1]!.ready().messages.filter { $0.to == 3 }
        #expect(toThree.contains { message in
            if case .append(let append) = message.kind { return append.commit >= entry.index }
            return false
        })
    }

    /// When a proposal comes in the same turn as the acknowledgement that commits, each follower hears of the
    /// new commit index on the AppendEntries carrying the proposal, and gets no empty append of its own: it then
    /// appends and applies in one fsync instead of two.
    @Test func aNewCommitRidesOnTheSameTurnsAppend() throws {
        var (cluster, first) = try Self.leaderThatJustCommitted()
        let second = try cluster.nodes[1]!.propose([8])
        let messages = cluster.nodes[1]!.ready().messages
        for follower: NodeID in [2, 3] {
            let appends = messages.filter { $0.to == follower }.compactMap { message in
                if case .append(let append) = message.kind { return append }
                return nil
            }
            #expect(appends.allSatisfy { !$0.entries.isEmpty }, "no empty append to \(follower)")
            #expect(appends.contains { $0.entries.contains { $0.index == second.index } && $0.commit >= first.index },
                    "the append with the new entry carries the commit, to \(follower)")
        }
    }

    /// Node 1 leads, proposed one entry and has just stepped node 2's acknowledgement, which commits it; node 3
    /// has not answered.
    static func leaderThatJustCommitted() throws -> (TestCluster, EntryID) {
        var cluster = TestCluster()
        for id: NodeID in [1, 2, 3] { cluster.add(id, state: .bootstrap(voters: [1, 2, 3])) }
        cluster.elect(1)
        try #require(cluster[1].role == .leader)
        let entry = try cluster.nodes[1]!.propose([7])
        let ready = cluster.nodes[1]!.ready()
        cluster.nodes[1]!.advance(ready)
        for message in ready.messages where message.to == 2 { cluster.nodes[2]!.step(message) }
        cluster.drain(2)
        let acknowledgements = cluster.inFlight.filter { $0.to == 1 }
        cluster.inFlight.removeAll()
        for message in acknowledgements { cluster.nodes[1]!.step(message) }
        #expect(cluster[1].log.committed == entry.index)
        return (cluster, entry)
    }

    @Test func malformedAppendEntriesAreIgnored() {
        var follower = RaftNode(config: TestCluster.config(2), state: .bootstrap(voters: [1, 2, 3]))
        let bad: [AppendEntries] = [
            AppendEntries(prevIndex: 0, prevTerm: 0, entries: [Entry(index: 2, term: 1, payload: .empty)], commit: 9),
            AppendEntries(prevIndex: 0, prevTerm: 0, entries: [Entry(index: 1, term: 9, payload: .empty)], commit: 0),
            AppendEntries(prevIndex: 0, prevTerm: 0, entries: [
                Entry(index: 1, term: 1, payload: .empty), Entry(index: 2, term: 0, payload: .empty),
            ], commit: 0),
            AppendEntries(prevIndex: LogIndex.max, prevTerm: 1, entries: [], commit: LogIndex.max),
        ]
        for append in bad {
            follower.step(Message(from: 1, to: 2, term: 1, kind: .append(append)))
        }
        follower.step(Message(from: 1, to: 3, term: 1, kind: .heartbeat(commit: 5, context: 0)))
        follower.step(Message(from: 2, to: 2, term: 9, kind: .timeoutNow))
        follower.step(Message(from: 1, to: 2, term: 1, kind: .heartbeat(commit: LogIndex.max, context: 0)))
        #expect(follower.log.lastIndex == 0)
        #expect(follower.log.committed == 0)
        #expect(follower.term == 1)
    }
}
