import Foundation
import Raft
import Storage
import Testing
import TestSupport

@testable import HA

@Suite struct WireTests {
    static let configuration = Configuration(voters: [1, 2, 3], learners: [9])

    static let messages: [Message] = [
        Message(from: 1, to: 2, term: 3, kind: .preVote(lastIndex: 10, lastTerm: 2)),
        Message(from: 2, to: 1, term: 3, kind: .preVoteResponse(granted: true)),
        Message(from: 1, to: 2, term: 4, kind: .vote(lastIndex: 10, lastTerm: 3, transfer: true)),
        Message(from: 2, to: 1, term: 4, kind: .voteResponse(granted: false)),
        Message(from: 1, to: 3, term: 4, kind: .append(AppendEntries(
            prevIndex: 7, prevTerm: 3,
            entries: [
                Entry(index: 8, term: 4, payload: .empty),
                Entry(index: 9, term: 4, payload: .command([1, 2, 3])),
                Entry(index: 10, term: 4, payload: .configuration(configuration)),
            ], commit: 7))),
        Message(from: 3, to: 1, term: 4, kind: .appendResponse(.accepted(matchIndex: 10))),
        Message(from: 3, to: 1, term: 4, kind: .appendResponse(.rejected(rejectedPrevIndex: 7, hintIndex: 5, hintTerm: 2))),
        Message(from: 1, to: 3, term: 4, kind: .heartbeat(commit: 9, context: 77)),
        Message(from: 3, to: 1, term: 4, kind: .heartbeatResponse(context: 77)),
        Message(from: 1, to: 9, term: 4, kind: .installSnapshot(Snapshot(
            metadata: SnapshotMetadata(index: 100, term: 4, configuration: configuration), data: [9, 8, 7]))),
        Message(from: 1, to: 2, term: 4, kind: .timeoutNow),
    ]

    @Test func everyRaftMessageRoundTrips() throws {
        for message in Self.messages {
            #expect(try RaftWire.decode(RaftWire.encode(message)) == message)
        }
    }

    @Test func truncatedOrExtendedMessagesAreRefused() {
        for message in Self.messages {
            let bytes = RaftWire.encode(message)
            for cut in 0..<bytes.count {
                #expect(throws: WireDecodingError.self) { try RaftWire.decode(Array(bytes[..<cut])) }
            }
            #expect(throws: WireDecodingError.self) { try RaftWire.decode(bytes + [0]) }
        }
    }

    /// Seeded random input (COFFER_SEED replays): decoders refuse or accept, never trap.
    @Test func randomInputNeverTraps() {
        var generator = SeededGenerator.forTest("WireTests.randomInputNeverTraps")
        var accepted = 0
        for round in 0..<20_000 {
            var bytes = [UInt8](repeating: 0, count: Int(generator.next() % 96))
            for index in bytes.indices { bytes[index] = UInt8(truncatingIfNeeded: generator.next()) }
            if round % 2 == 0, let valid = Self.messages.randomElement(using: &generator) {
                // Mutate a valid message so decoding gets past the header.
                bytes = RaftWire.encode(valid)
                let position = Int(generator.next() % UInt64(bytes.count))
                bytes[position] ^= UInt8(truncatingIfNeeded: generator.next() | 1)
            }
            if (try? RaftWire.decode(bytes)) != nil { accepted += 1 }
            _ = try? StorageCommand.decode(bytes)
            _ = try? StorageCommand.decode([1] + bytes)
        }
        #expect(accepted < 20_000)
    }

    @Test func storageCommandsRoundTripWithBatchBoundaries() throws {
        let batches: [[StorageOperation]] = [
            [.put(key: "a", value: [1]), .delete(key: "b")],
            [],
            [.put(key: "logical/x/ü", value: Array(repeating: 7, count: 1000))],
        ]
        let bytes = StorageCommand.encode(batches)
        #expect(try StorageCommand.decode(bytes) == batches)
        #expect(throws: WireDecodingError.self) { try StorageCommand.decode(Array(bytes.dropLast())) }
        #expect(throws: WireDecodingError.self) { try StorageCommand.decode([2] + bytes.dropFirst()) }
    }
}
