import Foundation
import Linearizability

/// One register operation (Foundation has an `Operation` of its own).
typealias RegisterOperation = Linearizability.Operation<KeyValueModel.Input, KeyValueModel.Output>

/// A history of register operations read from Jepsen-shaped JSON lines, as the chaos harness writes them.
///
/// Each line is one event: `{"type": "invoke"|"ok"|"fail"|"info", "process": Int, "f": String, "key": String,
/// "value": ..., "time": Int}`. An invocation is completed by the next `ok`, `fail` or `info` event of the same
/// process. Only `f` values `read`, `write` and `cas` are register operations; every other `f` (logins, unwraps,
/// set additions) is skipped, so one history file can carry the whole workload.
///
/// Outcomes follow Jepsen: `ok` took effect, `fail` certainly did not (dropped from the check), `info` (or an
/// invocation with no completion) may have taken effect at any time after its invocation, or never.
/// `read` has value `null` on invoke and the value read (`null` for absent) on ok; `write` has the value
/// written; `cas` has `[expected-or-null, new]`, and `ok` means it swapped.
struct JepsenHistory {
    enum HistoryError: Error, CustomStringConvertible {
        case badLine(Int, String)

        var description: String {
            switch self {
            case .badLine(let line, let why): return "line \(line): \(why)"
            }
        }
    }

    /// Register operations by key, in the order keys first appear.
    private(set) var operationsByKey: [(key: String, operations: [RegisterOperation])]
    private(set) var skippedEvents = 0

    init(lines: [Substring]) throws {
        var pending: [Int: (input: KeyValueModel.Input, time: Int)] = [:]
        var byKey: [String: [RegisterOperation]] = [:]
        var order: [String] = []
        func record(_ process: Int, _ input: KeyValueModel.Input, _ call: Int, _ output: KeyValueModel.Output?,
                    _ ret: Int?) {
            let key = input.key
            if byKey[key] == nil { order.append(key) }
            byKey[key, default: []].append(
                RegisterOperation(clientID: process, input: input, callTime: call, output: output, returnTime: ret))
        }
        for (number, line) in lines.enumerated() where !line.allSatisfy(\.isWhitespace) {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw HistoryError.badLine(number + 1, "not a JSON object")
            }
            // Nemesis events and other workloads' operations need not have an integer process.
            guard let f = object["f"] as? String, ["read", "write", "cas"].contains(f) else {
                skippedEvents += 1
                continue
            }
            guard let type = object["type"] as? String, let process = object["process"] as? Int,
                  let time = object["time"] as? Int
            else { throw HistoryError.badLine(number + 1, "needs type, process and time") }
            guard let key = object["key"] as? String else { throw HistoryError.badLine(number + 1, "needs key") }
            let value = object["value"]
            switch type {
            case "invoke":
                if let open = pending.removeValue(forKey: process) {
                    // A process invoked again without completing: the earlier one's outcome is unknown.
                    record(process, open.input, open.time, nil, nil)
                }
                let input: KeyValueModel.Input
                switch f {
                case "read": input = .get(key: key)
                case "write":
                    guard let written = value as? String else {
                        throw HistoryError.badLine(number + 1, "write needs a string value")
                    }
                    input = .put(key: key, value: written)
                default:
                    guard let pair = value as? [Any], pair.count == 2, let new = pair[1] as? String else {
                        throw HistoryError.badLine(number + 1, "cas needs [expected, new]")
                    }
                    input = .compareAndSet(key: key, expected: pair[0] as? String, new: new)
                }
                pending[process] = (input, time)
            case "ok", "fail", "info":
                guard let open = pending.removeValue(forKey: process) else {
                    throw HistoryError.badLine(number + 1, "\(type) for process \(process) with nothing invoked")
                }
                switch type {
                case "fail":
                    continue
                case "info":
                    record(process, open.input, open.time, nil, nil)
                default:
                    let output: KeyValueModel.Output
                    switch open.input {
                    case .get: output = .value(value as? String)
                    case .put: output = .ok
                    case .compareAndSet: output = .swapped(true)
                    }
                    record(process, open.input, open.time, output, time)
                }
            default:
                throw HistoryError.badLine(number + 1, "unknown type \(type)")
            }
        }
        for (process, open) in pending.sorted(by: { $0.key < $1.key }) {
            record(process, open.input, open.time, nil, nil)
        }
        operationsByKey = order.map { ($0, byKey[$0] ?? []) }
    }
}
