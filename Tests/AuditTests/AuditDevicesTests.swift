import Core
import Foundation
import Storage
import Testing

@testable import Audit

struct AuditDevicesTests {
    @Test func requestAndResponseAreRecordedWithSecretsHashed() async throws {
        let harness = try await AuditHarness.make()
        let secret = "hunter2-very-secret"
        let written = try await harness.call(
            .update, "secret/data/app", ["data": ["password": .string(secret), "n": 5]])
        let lines = harness.sinks.lines("mem")
        let entries = try lines.map { try JSONValue.parse(Array($0.utf8)) }
        let kvEntries = entries.filter { $0.objectValue?["request"]?.objectValue?["path"] == "secret/data/app" }
        #expect(kvEntries.map { $0.objectValue?["type"]?.stringValue } == ["request", "response"])
        // The client's request_id is the id both audit lines carry.
        guard case .logical(let body) = written.body else {
            Issue.record("no logical body")
            return
        }
        let ids = kvEntries.map { $0.objectValue?["request"]?.objectValue?["id"]?.stringValue }
        #expect(body.requestID != nil && ids == [body.requestID, body.requestID])
        let request = try #require(kvEntries.first?.objectValue)
        let hashed = request["request"]?.objectValue?["data"]?.objectValue?["data"]?.objectValue
        let expected = try await harness.audit.hash(device: "mem", input: secret)
        #expect(hashed?["password"] == .string(expected))
        #expect(hashed?["n"] == .int(5))
        #expect(request["auth"]?.objectValue?["policies"] == ["root"])
        #expect(request["request"]?.objectValue?["mount_type"] == "kv")
        #expect(request["request"]?.objectValue?["client_token"]
            == .string(try await harness.audit.hash(device: "mem", input: harness.rootToken)))
        // A first write is a create, as the ACL check and OpenBao's log call it; the next an update.
        #expect(request["request"]?.objectValue?["operation"] == "create")
        try await harness.call(.update, "secret/data/app", ["data": ["password": "other"]])
        let second = try JSONValue.parse(Array((harness.sinks.lines("mem").last ?? "").utf8)).objectValue
        #expect(second?["request"]?.objectValue?["operation"] == "update")
        for line in lines {
            #expect(!line.contains(secret))
            #expect(!line.contains(harness.rootToken))
            #expect(!line.contains(harness.unsealKey))
        }
    }

    @Test func wrappedResponseHasItsTokenHashedAndSysAuditHashAgrees() async throws {
        let harness = try await AuditHarness.make()
        let wrapped = try await harness.call(.update, "sys/wrapping/wrap", ["s": "inner"], wrapTTL: .seconds(60))
        guard case .logical(let body) = wrapped.body, let token = body.wrapInfo?.objectValue?["token"]?.stringValue
        else {
            Issue.record("no wrap_info")
            return
        }
        let hashResponse = try await harness.call(.update, "sys/audit-hash/mem", ["input": .string(token)])
        let hash = try #require(harness.data(hashResponse)["hash"]?.stringValue)
        #expect(hash.hasPrefix("hmac-sha256:"))
        let responseLine = try #require(harness.sinks.lines("mem").first { $0.contains("\"wrap_info\"") })
        #expect(responseLine.contains(hash))
        #expect(!responseLine.contains(token))
    }

    @Test func unwritableDeviceRefusesTheWriteAndChangesNothing() async throws {
        let harness = try await AuditHarness.make()
        try await harness.call(.update, "secret/data/app", ["data": ["v": "1"]])
        let sink = try #require(harness.sinks.sinks["mem"])
        sink.failing = true
        let refused = await harness.status(.update, "secret/data/app", ["data": ["v": "2"]])
        #expect(refused == 500)
        sink.failing = false
        let read = try await harness.call(.read, "secret/data/app")
        #expect(harness.data(read)["data"]?.objectValue?["v"] == "1")
        #expect(await harness.status(.update, "secret/data/app", ["data": ["v": "3"]]) == 200)
        let after = try await harness.call(.read, "secret/data/app")
        #expect(harness.data(after)["data"]?.objectValue?["v"] == "3")
    }

    @Test func oneWorkingDeviceOfTwoIsEnough() async throws {
        let harness = try await AuditHarness.make(devices: [
            AuditDeviceConfig(name: "a", type: "file", options: ["file_path": "discard"]),
            AuditDeviceConfig(name: "b", type: "file", options: ["file_path": "discard"]),
        ])
        harness.sinks.sinks["a"]?.failing = true
        #expect(await harness.status(.update, "secret/data/x", ["data": ["v": "1"]]) == 200)
        harness.sinks.sinks["b"]?.failing = true
        #expect(await harness.status(.update, "secret/data/x", ["data": ["v": "2"]]) == 500)
    }

    @Test func apiEnableIsRefusedUnlessTheConfigAllowsIt() async throws {
        let harness = try await AuditHarness.make()
        do {
            try await harness.call(.update, "sys/audit/extra", ["type": "file", "options": ["file_path": "discard"]])
            Issue.record("enabled through the API")
        } catch {
            #expect(error == .badRequest(
                "cannot enable audit device via API; use declarative, config-based audit device management instead"))
        }
        do {
            try await harness.call(.delete, "sys/audit/mem")
            Issue.record("disabled a config device")
        } catch {
            #expect(error == .badRequest("cannot disable configuration-managed audit device"))
        }
        #expect(await harness.status(.delete, "sys/audit/none") == 204)
    }

    @Test func apiEnabledDeviceIsListedKeptAcrossSealAndDisabled() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("api.log").path
        let harness = try await AuditHarness.make(allowAPICreation: true)
        #expect(await harness.status(
            .update, "sys/audit/extra", ["type": "file", "description": "d", "options": ["file_path": .string(file)]])
            == 204)
        let listed = harness.data(try await harness.call(.read, "sys/audit"))
        #expect(Set(listed.keys) == ["mem/", "extra/"])
        #expect(listed["extra/"]?.objectValue?["options"]?.objectValue?["file_path"] == .string(file))
        let before = try await harness.audit.hash(device: "extra", input: "x")

        try await harness.call(.update, "sys/seal")
        _ = try await harness.core.handle(Request(
            operation: .update, path: "sys/unseal", data: ["key": .string(harness.unsealKey)]))
        let relisted = harness.data(try await harness.call(.read, "sys/audit"))
        #expect(Set(relisted.keys) == ["mem/", "extra/"])
        #expect(try await harness.audit.hash(device: "extra", input: "x") == before)

        let attrs = try FileManager.default.attributesOfItem(atPath: file)
        #expect((attrs[.posixPermissions] as? Int) == 0o600)
        #expect(await harness.status(.delete, "sys/audit/extra") == 204)
        #expect(Set(harness.data(try await harness.call(.read, "sys/audit")).keys) == ["mem/"])
    }

    @Test func sealRequestIsRecordedAndSaltsAreForgottenAfterIt() async throws {
        let harness = try await AuditHarness.make()
        try await harness.call(.update, "sys/seal")
        let sealLines = harness.sinks.lines("mem").filter { $0.contains("\"path\":\"sys/seal\"") }
        #expect(sealLines.count == 2)
        do {
            _ = try await harness.audit.hash(device: "mem", input: "x")
            Issue.record("salt still in memory after seal")
        } catch {
            #expect(error == .sealed)
        }
    }

    @Test func declaredDevicesFollowTheirStanzas() async throws {
        let harness = try await AuditHarness.make()
        try await harness.audit.apply(declared: [
            AuditDeviceConfig(name: "mem", type: "file", options: ["file_path": "discard"]),
            AuditDeviceConfig(name: "second", type: "file", options: ["file_path": "discard"]),
        ])
        #expect(Set(harness.data(try await harness.call(.read, "sys/audit")).keys) == ["mem/", "second/"])
        // The new device got a salt while unsealed: it can hash.
        #expect(try await harness.audit.hash(device: "second", input: "x").hasPrefix("hmac-sha256:"))
        try await harness.audit.apply(declared: [
            AuditDeviceConfig(name: "second", type: "file", options: ["file_path": "discard"])
        ])
        #expect(Set(harness.data(try await harness.call(.read, "sys/audit")).keys) == ["second/"])
        // A bad stanza changes nothing.
        await #expect(throws: AuditConfigError.self) {
            try await harness.audit.apply(declared: [AuditDeviceConfig(name: "x", type: "syslogx")])
        }
        #expect(Set(harness.data(try await harness.call(.read, "sys/audit")).keys) == ["second/"])
    }

    @Test func hmacAccessorFalseAndLogRawAreHonoured() async throws {
        let harness = try await AuditHarness.make(devices: [
            AuditDeviceConfig(name: "acc", type: "file", options: ["file_path": "discard", "hmac_accessor": "false"]),
            AuditDeviceConfig(name: "raw", type: "file", options: ["file_path": "discard", "log_raw": "true"]),
        ])
        try await harness.call(.update, "secret/data/k", ["data": ["v": "clear-value"]])
        let accLine = try #require(harness.sinks.lines("acc").last)
        let rawLine = try #require(harness.sinks.lines("raw").last)
        let entry = try JSONValue.parse(Array(accLine.utf8)).objectValue
        let accessor = try #require(entry?["auth"]?.objectValue?["accessor"]?.stringValue)
        #expect(!accessor.hasPrefix("hmac-sha256:"))
        #expect(entry?["auth"]?.objectValue?["client_token"]?.stringValue?.hasPrefix("hmac-sha256:") == true)
        #expect(!accLine.contains("clear-value"))
        #expect(rawLine.contains(harness.rootToken))
    }
}
