#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RaftSimulator

// raft-soak: runs simulated Raft clusters under faults for many seeds or for a wall-clock duration,
// and prints what ran and every violation found (with its seed, for replay with COFFER_SEED=<seed>).
//
// Usage: raft-soak [--seeds N] [--duration-seconds S] [--first-seed X] [--verbose] [--trace]
//                  [--bug commit-previous-term|stale-read|send-before-persist]   (debug builds only)

var seedCount = 1_000
var durationSeconds: Int?
var firstSeed: UInt64 = 1
var verbose = false
var traceRun = false
var bugName: String?
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--seeds": seedCount = arguments.popFirst().flatMap { Int($0) } ?? seedCount
    case "--duration-seconds": durationSeconds = arguments.popFirst().flatMap { Int($0) }
    case "--first-seed": firstSeed = arguments.popFirst().flatMap { UInt64($0) } ?? firstSeed
    case "--verbose": verbose = true
    case "--trace": traceRun = true
    case "--bug": bugName = arguments.popFirst()
    default:
        print("usage: raft-soak [--seeds N] [--duration-seconds S] [--first-seed X] [--verbose]")
        exit(2)
    }
}

let clock = ContinuousClock()
let start = clock.now
var seedsRun = 0
var simulatedMilliseconds = 0
var faults = 0
var crashes = 0
var events = 0
var undecided = 0
var failures: [(seed: UInt64, violations: [String])] = []
var seed = firstSeed
while true {
    if let durationSeconds {
        if clock.now - start >= .seconds(durationSeconds) { break }
    } else if seedsRun >= seedCount {
        break
    }
    // Rotate through the fault profiles so a soak covers every mix.
    let profile = FaultProfile.allCases[Int(seed % UInt64(FaultProfile.allCases.count))]
    var config = SimulationConfig(seed: seed, profile: profile)
    if let bugName {
        #if DEBUG
        switch bugName {
        case "commit-previous-term": config = SimulationConfig(seed: seed, hunting: .commitPreviousTermByCount)
        case "stale-read": config = SimulationConfig(seed: seed, hunting: .readWithoutQuorum)
        case "send-before-persist": config = SimulationConfig(seed: seed, hunting: .sendBeforePersist)
        default:
            print("unknown bug \(bugName): commit-previous-term, stale-read, send-before-persist")
            exit(2)
        }
        #else
        print("--bug is available only in debug builds")
        exit(2)
        #endif
    }
    config.recordTrace = traceRun
    var simulation = Simulation(config: config)
    let report = simulation.run()
    seedsRun += 1
    simulatedMilliseconds += report.simulatedMilliseconds
    faults += report.faultsInjected
    crashes += report.crashes
    events += report.events
    if report.linearizabilityUndecided { undecided += 1 }
    if verbose { print(report.summary) }
    if !report.passed {
        failures.append((seed, report.violations))
        print("VIOLATION seed \(seed) (replay: COFFER_SEED=\(seed)):")
        for violation in report.violations { print("  \(violation)") }
        if traceRun { for line in report.trace { print("    \(line)") } }
    }
    seed += 1
}
let elapsed = clock.now - start
print("seeds run: \(seedsRun) (\(firstSeed)...\(seed - 1)), wall time \(elapsed)")
print("simulated time: \(simulatedMilliseconds / 1000) s, events: \(events)")
print("faults injected: \(faults) (crashes \(crashes))")
print("linearizability undecided (search budget exhausted): \(undecided) seed(s)")
print("violations found: \(failures.count) seed(s)\(failures.isEmpty ? "" : ": \(failures.map(\.seed))")")
exit(failures.isEmpty ? 0 : 1)
