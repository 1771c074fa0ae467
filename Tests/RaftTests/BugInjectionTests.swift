#if DEBUG
import Raft
import RaftSimulator
import Testing

/// Proof that the checkers can fail: each planted bug must be caught within its seed budget.
@Suite struct BugInjectionTests {
    static let cases: [(String, BugInjection, Int)] = [
        ("commit previous-term entry by counting replicas", .commitPreviousTermByCount, 300),
        ("serve reads without ReadIndex (stale reads)", .readWithoutQuorum, 150),
        ("send before fsync", .sendBeforePersist, 150),
    ]

    @Test(arguments: cases)
    func theSimulatorCatchesThePlantedBug(name: String, bug: BugInjection, budget: Int) {
        var caught: SimulationReport?
        for seed in 1...UInt64(budget) {
            var simulation = Simulation(config: SimulationConfig(seed: seed, hunting: bug))
            let report = simulation.run()
            if !report.passed {
                caught = report
                break
            }
        }
        #expect(caught != nil, "\(name): not caught in \(budget) seeds")
        if let caught {
            print("\(name): caught by seed \(caught.seed): \(caught.violations.first ?? "")")
        }
    }

    @Test(arguments: FaultProfile.allCases)
    func withoutBugsEveryFaultProfilePasses(profile: FaultProfile) {
        for seed: UInt64 in 1...25 {
            var simulation = Simulation(config: SimulationConfig(seed: seed, profile: profile))
            let report = simulation.run()
            #expect(report.passed, "seed \(seed) profile \(profile): \(report.violations)")
        }
    }
}
#endif
