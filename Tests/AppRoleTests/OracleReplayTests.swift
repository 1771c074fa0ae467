import Core
import Foundation
import Testing

@testable import AppRole

/// Replays tests/approle-oracle/cases.json (recorded from OpenBao 2.7.2 by record.py)
/// against the backend and compares status codes and the normalised data, errors,
/// warnings and login results.
@Suite struct OracleReplayTests {
    struct Recording {
        var cases: [[String: JSONValue]]
        var intendedDifferences: Set<String>
        var remoteAddress: String
    }

    static func load() throws -> Recording {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let bytes = try Data(contentsOf: root.appendingPathComponent("tests/approle-oracle/cases.json"))
        let document = try JSONDecoder().decode(JSONValue.self, from: bytes)
        guard case .object(let top) = document, case .array(let cases)? = top["cases"],
            case .object(let differences)? = top["intended_differences"]
        else { throw HarnessError.unexpected(0) }
        return Recording(
            cases: cases.compactMap(\.objectValue), intendedDifferences: Set(differences.keys),
            remoteAddress: top["remote_address"]?.stringValue ?? "127.0.0.1")
    }

    @Test func everyRecordedCaseMatches() async throws {
        let recording = try Self.load()
        #expect(recording.cases.count >= 100)
        var harness = AppRoleHarness()
        harness.remoteAddress = recording.remoteAddress
        var variables: [String: String] = [:]
        var mismatches: [String] = []
        for (index, recorded) in recording.cases.enumerated() {
            let name = recorded["name"]?.stringValue ?? "case \(index)"
            let method = recorded["method"]?.stringValue ?? "GET"
            var path = recorded["path"]?.stringValue ?? ""
            var data: [String: JSONValue] = [:]
            if let question = path.firstIndex(of: "?") {
                // Query parameters reach a backend as string fields, as the API passes them.
                for pair in path[path.index(after: question)...].split(separator: "&") {
                    let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                    if parts.count == 2 { data[parts[0]] = .string(parts[1]) }
                }
                path = String(path[..<question])
            }
            if method == "POST" || method == "PUT", case .object(let body)? = recorded["body"] {
                data = body.mapValues { Self.substitute($0, variables) }
            }
            harness.now = Date(timeIntervalSince1970: 1_800_000_000 + Double(index))
            let outcome = await harness.call(method, path, data)
            if case .object(let saves)? = recorded["save"] {
                for (variable, dotted) in saves {
                    if let key = dotted.stringValue?.split(separator: ".").last.map(String.init),
                        let value = outcome.data?[key]?.stringValue
                    {
                        variables[variable] = value
                    }
                }
            }
            var expectedStatus = 0
            if case .int(let status)? = recorded["status"] { expectedStatus = Int(status) }
            if outcome.status != expectedStatus {
                mismatches.append("\(name): status \(outcome.status), OpenBao \(expectedStatus) \(outcome.errors)")
                continue
            }
            if recording.intendedDifferences.contains(name) { continue }
            let expected = recorded["response"] ?? .null
            let actual = Self.summary(outcome)
            if let auth = outcome.auth {
                if let problem = Self.compareLogin(auth, expected) { mismatches.append("\(name): \(problem)") }
            } else if Self.normalise(actual) != expected {
                mismatches.append("\(name): got \(Self.text(actual)), OpenBao \(Self.text(expected))")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches:\n\(mismatches.joined(separator: "\n"))")
    }

    static func substitute(_ value: JSONValue, _ variables: [String: String]) -> JSONValue {
        switch value {
        case .string(var text):
            for (name, replacement) in variables {
                text = text.replacingOccurrences(of: "${\(name)}", with: replacement)
            }
            return .string(text)
        case .array(let items): return .array(items.map { substitute($0, variables) })
        case .object(let members): return .object(members.mapValues { substitute($0, variables) })
        default: return value
        }
    }

    /// The same parts record.py keeps: data and warnings of a logical answer, errors of
    /// a failure, null for 204.
    static func summary(_ outcome: AppRoleHarness.Outcome) -> JSONValue {
        switch outcome {
        case .failure(_, let errors):
            return .object(["errors": .array(errors.map { .string($0) })])
        case .response(let response):
            switch response.body {
            case .none: return .null
            case .raw(let value): return value
            case .logical(let body):
                return .object([
                    "data": body.data.map { .object($0) } ?? .null,
                    "warnings": body.warnings.map { .array($0.map { .string($0) }) } ?? .null,
                ])
            }
        }
    }

    /// What the core will make of a LoginAuth, checked against OpenBao's auth block:
    /// policies (sanitised, plus "default" unless refused), metadata, lease duration
    /// under the dev mount's defaults, use count and token type.
    static func compareLogin(_ auth: LoginAuth, _ expected: JSONValue) -> String? {
        guard case .object(let top) = expected, case .object(let block)? = top["auth"] else {
            return "login succeeded but OpenBao answered \(text(expected))"
        }
        var policies = Set(auth.policies.map { $0.trimmingSpaces().lowercased() }.filter { !$0.isEmpty })
        if !auth.noDefaultPolicy { policies.insert("default") }
        let expectedPolicies = Set((block["token_policies"]?.arrayValue ?? []).compactMap(\.stringValue))
        if policies != expectedPolicies { return "policies \(policies.sorted()) vs \(expectedPolicies.sorted())" }
        let metadata = JSONValue.object(auth.metadata.mapValues { .string($0) })
        if metadata != block["metadata"] { return "metadata \(auth.metadata) vs \(text(block["metadata"] ?? .null))" }
        var lease: Int64 = auth.period > 0 ? auth.period : (auth.ttl > 0 ? auth.ttl : 2_764_800)
        if auth.maxTTL > 0 { lease = min(lease, auth.maxTTL) }
        if .int(lease) != block["lease_duration"] {
            return "lease \(lease) vs \(text(block["lease_duration"] ?? .null))"
        }
        if .int(Int64(auth.numUses)) != block["num_uses"] { return "num_uses \(auth.numUses)" }
        if .string(auth.tokenType) != block["token_type"] { return "token_type \(auth.tokenType)" }
        if auth.displayName != "" { return "display name \(auth.displayName)" }
        return nil
    }

    static func normalise(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let text):
            var result = text.replacing(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/, with: "<uuid>")
            if !result.hasPrefix("0001-01-01") {
                result = result.replacing(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/, with: "<time>")
            }
            return .string(result)
        case .array(let items): return .array(items.map(normalise))
        case .object(let members): return .object(members.mapValues(normalise))
        default: return value
        }
    }

    static func text(_ value: JSONValue) -> String {
        String(decoding: value.serialized(), as: UTF8.self)
    }
}
