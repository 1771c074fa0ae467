import Core
import Foundation
import Testing

@testable import Audit

/// A real file device, a few requests, then the file edited in one way per test.
struct AuditChainTests {
    func writeLog(requests: Int = 4) async throws -> (path: String, lines: [String], cleanup: () -> Void) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("chain-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("audit.log").path
        let harness = try await AuditHarness.make(
            devices: [AuditDeviceConfig(name: "file", type: "file", options: ["file_path": path])], memory: false)
        for index in 0..<requests {
            try await harness.call(.update, "secret/data/k\(index)", ["data": ["v": .string("value-\(index)")]])
        }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let lines = text.split(separator: "\n").map(String.init)
        return (path, lines, { try? FileManager.default.removeItem(at: directory) })
    }

    func verify(_ lines: [String]) -> AuditChainFinding {
        AuditChainVerifier.verify(Array((lines.joined(separator: "\n") + "\n").utf8))
    }

    @Test func anUntouchedLogVerifies() async throws {
        let log = try await writeLog()
        defer { log.cleanup() }
        #expect(log.lines.count >= 8)
        #expect(verify(log.lines) == .intact(lines: log.lines.count))
    }

    @Test func anEditedLineIsFound() async throws {
        let log = try await writeLog()
        defer { log.cleanup() }
        var lines = log.lines
        lines[3] = lines[3].replacingOccurrences(of: "\"type\":\"response\"", with: "\"type\":\"request\"")
        #expect(lines[3] != log.lines[3])
        #expect(verify(lines) == .altered(line: 4))
    }

    @Test func aDeletedLineIsFound() async throws {
        let log = try await writeLog()
        defer { log.cleanup() }
        var lines = log.lines
        lines.remove(at: 4)
        guard case .removed(let beforeLine, let first, let last) = verify(lines) else {
            Issue.record("not reported as removed: \(verify(lines))")
            return
        }
        #expect(beforeLine == 5)
        #expect(first == last)
    }

    @Test func swappedLinesAreFound() async throws {
        let log = try await writeLog()
        defer { log.cleanup() }
        var lines = log.lines
        lines.swapAt(2, 3)
        #expect(verify(lines) == .reordered(line: 3))
    }

    @Test func theChainContinuesAcrossReopenAndRestart() async throws {
        let log = try await writeLog(requests: 1)
        defer { log.cleanup() }
        // A second broker on the same file (a restart) continues the chain.
        let harness = try await AuditHarness.make(
            devices: [AuditDeviceConfig(name: "file", type: "file", options: ["file_path": log.path])], memory: false)
        _ = await harness.status(.read, "secret/data/k0")
        await harness.audit.reopenAll()
        _ = await harness.status(.read, "secret/data/k0")
        let contents = try #require(FileManager.default.contents(atPath: log.path))
        let finding = AuditChainVerifier.verify(Array(contents))
        #expect(finding.isIntact, "\(finding)")
        #expect(contents.split(separator: 0x0A).count > log.lines.count + 4)
    }

    @Test func aRotatedFileIsReopenedAndAnUnwritablePathRefusesRequests() async throws {
        let log = try await writeLog(requests: 1)
        defer { log.cleanup() }
        let harness = try await AuditHarness.make(
            devices: [AuditDeviceConfig(name: "file", type: "file", options: ["file_path": log.path])], memory: false)
        // Rotation: the file moved away; the next write creates it anew.
        try FileManager.default.moveItem(atPath: log.path, toPath: log.path + ".1")
        try await harness.call(.update, "secret/data/r", ["data": ["v": "1"]])
        #expect(FileManager.default.fileExists(atPath: log.path))
        // The path becomes a directory: nothing can record, the write is refused.
        try FileManager.default.removeItem(atPath: log.path)
        try FileManager.default.createDirectory(atPath: log.path, withIntermediateDirectories: false)
        #expect(await harness.status(.update, "secret/data/r", ["data": ["v": "2"]]) == 500)
        try FileManager.default.removeItem(atPath: log.path)
        let read = try await harness.call(.read, "secret/data/r")
        #expect(harness.data(read)["data"]?.objectValue?["v"] == "1")
    }

    @Test func prefixedLinesVerify() {
        var chain = AuditChain()
        var lines: [String] = []
        for index in 0..<3 {
            let line = chain.seal(entry: Array("{\"n\":\(index)}".utf8), prefix: Array("PFX{".utf8))
            lines.append(String(decoding: line, as: UTF8.self))
        }
        #expect(lines[0] == "PFX{{\"n\":0,\"chain\":{\"seq\":1,\"prev\":\"\"}}")
        #expect(verify(lines) == .intact(lines: 3))
        #expect(AuditChainVerifier.verify(Array("not json\n".utf8)) == .malformed(line: 1))
    }
}

struct AuditChainMACTests {
    @Test func theLastLinesMACIsTheDevicesHashOfItsSignedPart() async throws {
        let harness = try await AuditHarness.make()
        try await harness.call(.update, "secret/data/m", ["data": ["v": "1"]])
        let lines = harness.sinks.lines("mem")
        let contents = Array((lines.joined()).utf8)
        #expect(AuditChainVerifier.verify(contents).isIntact)
        let link = try #require(AuditChainVerifier.lastLink(contents))
        let mac = try #require(link.mac)
        #expect(mac == (try await harness.audit.hash(device: "mem", input: link.signed)))
        #expect(link.signed.hasSuffix("\"prev\":\"\(link.prev)\""))
        // Any change to the signed part changes what the MAC must be.
        let edited = link.signed.replacingOccurrences(of: "secret/data/m", with: "secret/data/n")
        #expect(edited != link.signed)
        #expect(mac != (try await harness.audit.hash(device: "mem", input: edited)))
    }
}
