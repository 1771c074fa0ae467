import Foundation
import Raft
import RaftSimulator
import Testing

/// Seeded whole-cluster simulations. `COFFER_SIM_SEEDS=<n>` sets how many seeds the sweep runs;
/// `COFFER_SEED=<seed>` replays one seed with its trace printed.
@Suite struct SimulationTests {
    static let environment = ProcessInfo.processInfo.environment

    static var seedCount: Int { environment["COFFER_SIM_SEEDS"].flatMap { Int($0) } ?? 3_000 }
    static var replaySeed: UInt64? { environment["COFFER_SEED"].flatMap { UInt64($0) } }

    static func profile(for seed: UInt64) -> FaultProfile {
        FaultProfile.allCases[Int(seed % UInt64(FaultProfile.allCases.count))]
    }

    /// Runs `seeds` on all cores; returns the reports of failing seeds.
    static func run(_ seeds: [UInt64], configure: @escaping @Sendable (UInt64) -> SimulationConfig) async
        -> (failures: [SimulationReport], simulatedMilliseconds: Int, faults: Int)
    {
        let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
        return await withTaskGroup(of: ([SimulationReport], Int, Int).self) { group in
            for worker in 0..<workers {
                let mine = seeds.enumerated().filter { $0.offset % workers == worker }.map(\.element)
                group.addTask {
                    var failures: [SimulationReport] = []
                    var simulated = 0
                    var faults = 0
                    for seed in mine {
                        var simulation = Simulation(config: configure(seed))
                        let report = simulation.run()
                        simulated += report.simulatedMilliseconds
                        faults += report.faultsInjected
                        if !report.passed { failures.append(report) }
                    }
                    return (failures, simulated, faults)
                }
            }
            var all: ([SimulationReport], Int, Int) = ([], 0, 0)
            for await (failures, simulated, faults) in group {
                all.0 += failures
                all.1 += simulated
                all.2 += faults
            }
            return (all.0.sorted { $0.seed < $1.seed }, all.1, all.2)
        }
    }

    @Test func everySeedPassesEveryChecker() async {
        if let seed = Self.replaySeed {
            var config = SimulationConfig(seed: seed, profile: Self.profile(for: seed))
            config.recordTrace = true
            var simulation = Simulation(config: config)
            let report = simulation.run()
            print(report.summary)
            for line in report.trace { print(line) }
            for violation in report.violations { print("VIOLATION: \(violation)") }
            #expect(report.passed, "seed \(seed): \(report.violations)")
            return
        }
        let seeds = (1...UInt64(Self.seedCount)).map { $0 }
        let clock = ContinuousClock()
        let start = clock.now
        // Rotate through the fault profiles, as the soak does.
        let result = await Self.run(seeds) { SimulationConfig(seed: $0, profile: Self.profile(for: $0)) }
        print("simulated \(seeds.count) seeds (\(result.simulatedMilliseconds / 1000) s simulated, "
            + "\(result.faults) faults) in \(clock.now - start)")
        for report in result.failures {
            print("FAILED seed \(report.seed) -- replay with COFFER_SEED=\(report.seed)")
            for violation in report.violations { print("  \(violation)") }
        }
        #expect(result.failures.isEmpty, "failing seeds: \(result.failures.map(\.seed))")
    }

    @Test func aSeedReplaysExactly() {
        for seed: UInt64 in [3, 17, 4242] {
            var first = Simulation(seed: seed)
            var second = Simulation(seed: seed)
            let a = first.run()
            let b = second.run()
            #expect(a.traceDigest == b.traceDigest, "seed \(seed)")
            #expect(a.events == b.events)
            #expect(a.summary == b.summary)
        }
        var other = Simulation(seed: 18)
        var one = Simulation(seed: 17)
        #expect(other.run().traceDigest != one.run().traceDigest)
    }

    @Test(arguments: [3, 5])
    func aQuietClusterServesEveryRequest(nodes: Int) {
        var config = SimulationConfig(seed: 99)
        config.nodeCount = nodes
        config.meanFaultInterval = 0
        config.dropPerMille = 0
        config.duplicatePerMille = 0
        config.longDelayPerMille = 0
        config.crashNewLeaderPerMille = 0
        var simulation = Simulation(config: config)
        let report = simulation.run()
        #expect(report.passed, "\(report.violations)")
        #expect(report.operationsOK > 100)
        #expect(report.operationsIndeterminate == 0)
        #expect(report.readsServed > 20)
        #expect(report.maxTerm == 1, "one election, never disturbed")
    }
}
