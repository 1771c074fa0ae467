import Cluster
import Storage
import Testing
import TestSupport

@testable import HA

/// DR replication's wire messages, the rule of which keys ship, and the names of DR identities.
@Suite struct DRTests {
    static let requests: [DRRequest] = [
        .fetch(secondaryID: "dr-east", after: 41, epoch: 2, rootsDigest: Array(repeating: 1, count: 32)),
        .baseline(secondaryID: "ü", transfer: .max, chunk: 3),
        .fence(epoch: 7),
        .adoptKey(rootKey: Array(repeating: 0xAB, count: 32)),
    ]

    static let responses: [DRResponse] = [
        .entries(commit: 99, epoch: 1, batches: [
            DRBatch(index: 42, operations: [.put(key: "logical/a", value: [1, 2, 3]), .delete(key: "sys/token/x")]),
            DRBatch(index: 43, operations: []),
        ]),
        .entries(commit: 0, epoch: 0, batches: []),
        .reseed(commit: 12),
        .baselineChunk(index: 5, epoch: 1, chunk: 0, last: true, rootKey: [9, 9], data: [1, 0, 0, 0, 1, 65]),
        .refused("the primary is demoted"),
        .ok,
        .trust(roots: [[1, 2, 3], []]),
    ]

    @Test func everyMessageRoundTrips() throws {
        for request in Self.requests { #expect(try DRRequest.decode(request.encoded()) == request) }
        for response in Self.responses { #expect(try DRResponse.decode(response.encoded()) == response) }
    }

    @Test func truncatedExtendedOrUnknownMessagesAreRefused() {
        for bytes in Self.requests.map({ $0.encoded() }) {
            for cut in 0..<bytes.count {
                #expect(throws: WireDecodingError.self) { try DRRequest.decode(Array(bytes[..<cut])) }
            }
            #expect(throws: WireDecodingError.self) { try DRRequest.decode(bytes + [0]) }
            #expect(throws: WireDecodingError.self) { try DRRequest.decode([2] + bytes.dropFirst()) }
        }
        for bytes in Self.responses.map({ $0.encoded() }) {
            for cut in 0..<bytes.count {
                #expect(throws: WireDecodingError.self) { try DRResponse.decode(Array(bytes[..<cut])) }
            }
            #expect(throws: WireDecodingError.self) { try DRResponse.decode(bytes + [0]) }
        }
        #expect(throws: WireDecodingError.self) { try DRRequest.decode([1, 9]) }
        #expect(throws: WireDecodingError.self) { try DRResponse.decode([1, 9]) }
    }

    /// Seeded random and mutated input (COFFER_SEED replays): the decoders refuse or accept, never trap.
    @Test func randomInputNeverTraps() {
        var generator = SeededGenerator.forTest("DRTests.randomInputNeverTraps")
        var accepted = 0
        for round in 0..<20_000 {
            var bytes = [UInt8](repeating: 0, count: Int(generator.next() % 96))
            for index in bytes.indices { bytes[index] = UInt8(truncatingIfNeeded: generator.next()) }
            if round % 2 == 0 {
                bytes = round % 4 == 0
                    ? Self.requests[Int(generator.next() % UInt64(Self.requests.count))].encoded()
                    : Self.responses[Int(generator.next() % UInt64(Self.responses.count))].encoded()
                let position = Int(generator.next() % UInt64(bytes.count))
                bytes[position] ^= UInt8(truncatingIfNeeded: generator.next() | 1)
            }
            if (try? DRRequest.decode(bytes)) != nil { accepted += 1 }
            if (try? DRResponse.decode(bytes)) != nil { accepted += 1 }
        }
        #expect(accepted < 40_000)
    }

    @Test func clusterLocalKeysNeverShip() {
        for key in ["raft/members/node1", "raft/restore-commit", "raft/dr/applied-index", "core/cluster/tls-ca",
                    "core/raft/autopilot", "core/raft/snapshot-auto/daily", "core/replication/dr/primary"] {
            #expect(DRKeyspace.isLocal(key), "\(key)")
            #expect(DRKeyspace.isLocal(Array(key.utf8)), "\(key)")
        }
        for key in ["core/keyring", "core/root-key", "core/seal-config", "core/cluster-identity", "core/mounts",
                    "sys/token/id/abc", "logical/uuid/secret", "auth/uuid/role/x"] {
            #expect(!DRKeyspace.isLocal(key), "\(key)")
        }
        let batches: [[StorageOperation]] = [
            [.put(key: "raft/members/node2", value: [1]), .put(key: "logical/a", value: [2])],
            [.delete(key: "core/cluster/tls-ca"), .delete(key: "sys/token/id/x")],
        ]
        #expect(DRKeyspace.replicable(batches) == [.put(key: "logical/a", value: [2]), .delete(key: "sys/token/id/x")])
        #expect(!DRKeyspace.replacesState(batches))
        #expect(DRKeyspace.replacesState([[.put(key: NodeStore.restoreCommitKey, value: [])]]))
    }

    @Test func secondaryNamesAreDistinctNodeIDs() throws {
        let east = try #require(DRIdentity.nodeName(for: "east"))
        let west = try #require(DRIdentity.nodeName(for: "west"))
        #expect(east != west)
        #expect(DRIdentity.isSecondary(east))
        #expect(DRIdentity.nodeName(for: "east") == east)
        #expect(!DRIdentity.isSecondary(try #require(ClusterNodeID("node1"))))
        #expect(DRIdentity.nodeName(for: String(repeating: "x", count: 500)) != nil)
    }
}
