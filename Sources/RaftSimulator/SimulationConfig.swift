import Raft

/// Everything that shapes one simulated run. All of it is derived from `seed` by `SimulationConfig(seed:)`,
/// so a seed alone replays a run exactly; fields can be overridden afterwards for targeted tests.
public struct SimulationConfig: Sendable {
    public var seed: UInt64
    /// Initial voters (ids 1...nodeCount); spares (the next ids) start empty and may be added by
    /// membership changes.
    public var nodeCount: Int
    public var spareCount: Int
    /// Simulated milliseconds of workload under faults.
    public var faultyDuration: Int
    /// Liveness bound: after faults heal, a leader must be elected and every member must converge within this
    /// many simulated milliseconds.
    public var convergenceBound: Int
    public var tickInterval: Int
    public var electionTimeoutTicks: Int
    public var clientCount: Int
    public var keyCount: Int
    /// Milliseconds a client waits before recording its operation as indeterminate.
    public var clientTimeout: Int
    /// Per-message probabilities (in 1/1000) of loss and duplication, and of a long delay (reordering).
    public var dropPerMille: Int
    public var duplicatePerMille: Int
    public var longDelayPerMille: Int
    /// Mean simulated milliseconds between fault injections; 0 disables faults.
    public var meanFaultInterval: Int
    /// Relative weights of fault kinds.
    public var faultWeights: FaultWeights
    /// A node snapshots and compacts its log once this many entries are applied since its last snapshot.
    public var compactionThreshold: Int
    /// Probability (1/1000) that a node crashes a few milliseconds after winning an election
    /// (short-lived leaders leave the divergent logs of the paper's Figure 7 and Figure 8).
    public var crashNewLeaderPerMille: Int
    /// How long (ms) a crashed node stays down.
    public var restartDelay: ClosedRange<Int>
    /// Batching and pipelining limits of every node.
    public var maxEntriesPerMessage: Int
    public var maxInflightMessages: Int
    /// With the `sendBeforePersist` bug: how long (ms) acknowledged writes stay unsynced.
    public var unsyncedWindow: ClosedRange<Int>
    /// Keep a human-readable trace of the run (for replaying a failing seed).
    public var recordTrace: Bool
    #if DEBUG
    public var bugs: BugInjection = []
    #endif

    public init(seed: UInt64) {
        var random = SeededGenerator(seed: seed ^ 0x5EED_C0FF_EE00_0001)
        func pick(_ range: ClosedRange<Int>) -> Int {
            range.lowerBound + Int(random.next() % UInt64(range.count))
        }
        self.seed = seed
        nodeCount = random.next() % 3 == 0 ? 5 : 3
        spareCount = 2
        faultyDuration = pick(1_500...3_000)
        convergenceBound = 10_000
        tickInterval = 10
        electionTimeoutTicks = 10
        clientCount = pick(2...5)
        keyCount = pick(1...4)
        clientTimeout = 400
        dropPerMille = pick(0...60)
        duplicatePerMille = pick(0...30)
        longDelayPerMille = pick(0...80)
        meanFaultInterval = pick(150...600)
        faultWeights = FaultWeights()
        compactionThreshold = pick(8...64)
        crashNewLeaderPerMille = random.next() % 4 == 0 ? pick(50...300) : 0
        restartDelay = 20...1_500
        maxEntriesPerMessage = pick(1...8)
        maxInflightMessages = pick(1...4)
        unsyncedWindow = 5...60
        recordTrace = false
    }

    /// A run with the fault mix of `profile` (all other parameters still derived from `seed`).
    public init(seed: UInt64, profile: FaultProfile) {
        self.init(seed: seed)
        var weights = FaultWeights()
        switch profile {
        case .standard:
            return
        case .shortLivedLeaders:
            // Leaders that crash right after winning, replicating one entry per message, leave the divergent
            // uncommitted suffixes of the paper's Figure 7 and the Figure 8 trap.
            nodeCount = 3
            maxEntriesPerMessage = 1
            meanFaultInterval = 100
            crashNewLeaderPerMille = 700
            restartDelay = 20...400
            dropPerMille = 100
            weights.crash = 30
            weights.crashLeader = 20
            weights.membershipChange = 0
        case .leaderChurn:
            // Isolated and transferred leaders while clients read a single hot key.
            keyCount = 1
            clientCount = 5
            meanFaultInterval = 120
            weights.isolateLeader = 30
            weights.leadershipTransfer = 20
        case .crashHeavy:
            unsyncedWindow = 50...300
            restartDelay = 20...300
            meanFaultInterval = 80
            weights.crash = 30
            weights.crashLeader = 30
        }
        faultWeights = weights
    }

    #if DEBUG
    /// A run with `bug` planted and the fault profile that most quickly exposes it. Used to prove the
    /// checkers can fail.
    public init(seed: UInt64, hunting bug: BugInjection) {
        let profile: FaultProfile
        if bug.contains(.commitPreviousTermByCount) {
            profile = .shortLivedLeaders
        } else if bug.contains(.readWithoutQuorum) {
            profile = .leaderChurn
        } else if bug.contains(.sendBeforePersist) {
            profile = .crashHeavy
        } else {
            profile = .standard
        }
        self.init(seed: seed, profile: profile)
        bugs = bug
    }
    #endif
}

/// Named fault mixes. `standard` spreads faults evenly; the others concentrate on what exposes a class of bugs.
public enum FaultProfile: String, CaseIterable, Sendable {
    case standard
    case shortLivedLeaders
    case leaderChurn
    case crashHeavy
}

/// Relative frequency of each kind of fault the simulator injects.
public struct FaultWeights: Sendable {
    public var heal = 20
    public var symmetricPartition = 12
    public var asymmetricPartition = 6
    public var isolateLeader = 10
    public var bridge = 6
    public var crash = 12
    public var crashLeader = 8
    public var membershipChange = 10
    public var leadershipTransfer = 8

    public init() {}

    var total: Int {
        heal + symmetricPartition + asymmetricPartition + isolateLeader + bridge + crash + crashLeader
            + membershipChange + leadershipTransfer
    }
}
