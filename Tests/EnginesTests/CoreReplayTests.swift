import Core
import Engines
import Foundation
import Storage
import Synchronization
import Testing

/// A clock the test moves by hand, readable from the core's `now` closure.
final class ManualClock: Sendable {
    private let current: Mutex<Date>

    init(_ start: Date) {
        current = Mutex(start)
    }

    var now: Date { current.withLock { $0 } }

    func advance(by seconds: Double) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }
}

/// Replays the oracle through a real `CofferCore` (init, unseal, mounts made with
/// `sys/mounts`, a second token made with `auth/token/create`) wired with
/// ``EngineRegistry/factory``: the engine seam as the core drives it (routing, ACL
/// create/update probe, envelope) must answer every case as OpenBao did. The HTTP layer
/// is not involved (no JSON parsing of bodies, no PATCH content-type check).
@Test func replayThroughTheCore() async throws {
    let oracle = try loadOracle()
    let clock = ManualClock(Date(timeIntervalSince1970: 1_800_000_000))
    let environment = CoreEnvironment(
        now: { clock.now },
        randomBytes: { count in
            var generator = SystemRandomNumberGenerator()
            return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        })
    let core = try await CofferCore(
        physical: MemoryStorage(), environment: environment, backendFactory: EngineRegistry.factory)
    let initAnswer = try await core.handle(
        Request(operation: .update, path: "sys/init", data: ["secret_shares": 1, "secret_threshold": 1]))
    guard case .raw(.object(let initBody)) = initAnswer.body,
        case .array(let keys)? = initBody["keys"], case .string(let key)? = keys.first,
        case .string(let root)? = initBody["root_token"]
    else {
        Issue.record("init answered \(initAnswer)")
        return
    }
    _ = try await core.handle(Request(operation: .update, path: "sys/unseal", data: ["key": .string(key)]))
    for (path, options) in [("sys/mounts/secret", "2"), ("sys/mounts/kv1", "1")] {
        _ = try await core.handle(
            Request(
                operation: .update, path: path, data: ["type": "kv", "options": ["version": .string(options)]],
                clientToken: root))
    }
    let created = try await core.handle(
        Request(operation: .update, path: "auth/token/create", data: ["policies": ["root"]], clientToken: root))
    guard case .logical(let createdBody) = created.body,
        case .string(let other)? = createdBody.authBlock?.objectValue?["client_token"]
    else {
        Issue.record("token create answered \(created)")
        return
    }
    let tokens = ["root": root, "other": other]

    var differing: [String] = []
    for step in oracle.cases {
        clock.advance(by: step.sleep + 0.001)
        if knownDifferences[step.name] != nil { continue }
        let answer = await sendThroughCore(core, step, token: tokens[step.token] ?? "")
        if let problem = compareWithOracle(step, answer) { differing.append("\(step.name): \(problem)") }
    }
    for line in differing { Issue.record("core replay differs: \(line)") }
    #expect(differing.isEmpty, "\(differing.count) of \(oracle.cases.count) cases differ through the core")
}

private func sendThroughCore(
    _ core: CofferCore, _ step: OracleCase, token: String
) async -> EngineHarness.WireAnswer {
    var path = step.path
    var query: [String: String] = [:]
    var data: [String: JSONValue] = step.body?.objectValue ?? [:]
    if let question = path.firstIndex(of: "?") {
        for pair in path[path.index(after: question)...].split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            query[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        path = String(path[..<question])
    }
    var operation: Core.Operation
    switch step.method {
    case "GET": operation = query["list"] == "true" ? .list : .read
    case "LIST": operation = .list
    case "DELETE": operation = .delete
    case "PATCH": operation = .patch
    default: operation = .update
    }
    if operation == .read || operation == .list || operation == .delete {
        for (name, value) in query where name != "list" { data[name] = .string(value) }
    }
    let harness = EngineHarness()
    do {
        let response = try await core.handle(
            Request(operation: operation, path: path, data: data, query: query, clientToken: token))
        return harness.wire(response)
    } catch {
        return harness.wire(error)
    }
}
