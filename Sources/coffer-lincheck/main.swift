import Foundation
import Linearizability

// coffer-lincheck: checks each key's register history in a Jepsen-shaped JSON-lines file (see JepsenHistory)
// for linearizability with the same Wing-Gong search the Raft simulator uses. Prints one JSON object with the
// verdict per key. Exit status: 0 linearizable, 1 not linearizable, 2 undecided (step budget spent), 64 usage
// or input error.

let usage = "usage: coffer-lincheck [--step-budget N] HISTORY.jsonl  (- for standard input)"
var arguments = Array(CommandLine.arguments.dropFirst())
var stepBudget = 5_000_000
if let flag = arguments.firstIndex(of: "--step-budget") {
    guard flag + 1 < arguments.count, let budget = Int(arguments[flag + 1]), budget > 0 else {
        FileHandle.standardError.write(Data((usage + "\n").utf8))
        exit(64)
    }
    stepBudget = budget
    arguments.removeSubrange(flag...(flag + 1))
}
guard arguments.count == 1 else {
    FileHandle.standardError.write(Data((usage + "\n").utf8))
    exit(64)
}
let data: Data
if arguments[0] == "-" {
    data = FileHandle.standardInput.readDataToEndOfFile()
} else if let read = FileManager.default.contents(atPath: arguments[0]) {
    data = read
} else {
    FileHandle.standardError.write(Data("coffer-lincheck: cannot read \(arguments[0])\n".utf8))
    exit(64)
}

let history: JepsenHistory
do {
    history = try JepsenHistory(lines: String(decoding: data, as: UTF8.self).split(separator: "\n"))
} catch {
    FileHandle.standardError.write(Data("coffer-lincheck: \(error)\n".utf8))
    exit(64)
}

let checker = LinearizabilityChecker(model: KeyValueModel(), stepBudget: stepBudget)
var keys: [[String: Any]] = []
var anyViolation = false
var anyUnknown = false
for (key, operations) in history.operationsByKey {
    let started = Date()
    var entry: [String: Any] = [
        "key": key,
        "operations": operations.count,
        "indeterminate": operations.filter(\.isIndeterminate).count,
    ]
    switch checker.check(operations) {
    case .linearizable:
        entry["valid"] = true
    case .unknown:
        entry["valid"] = "unknown"
        anyUnknown = true
    case .notLinearizable(_, let described):
        entry["valid"] = false
        entry["explanation"] = Array(described.prefix(40))
        anyViolation = true
    }
    entry["seconds"] = (Date().timeIntervalSince(started) * 1000).rounded() / 1000
    keys.append(entry)
}
let verdict: Any = anyViolation ? false : (anyUnknown ? "unknown" : true)
let report: [String: Any] = ["valid": verdict, "keys": keys, "skipped_events": history.skippedEvents]
if let json = try? JSONSerialization.data(withJSONObject: report, options: [.sortedKeys]) {
    print(String(decoding: json, as: UTF8.self))
}
exit(anyViolation ? 1 : (anyUnknown ? 2 : 0))
