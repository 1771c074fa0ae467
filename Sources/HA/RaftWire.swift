import Raft

/// The byte form of Raft messages on the cluster transport. Decoding treats input as hostile: any malformed
/// message is refused with a `WireDecodingError` (and then dropped by the runtime, as Raft tolerates loss).
enum RaftWire {
    static func encode(_ message: Message) -> [UInt8] {
        var writer = WireWriter(capacity: 64)
        writer.u64(message.from)
        writer.u64(message.to)
        writer.u64(message.term)
        switch message.kind {
        case .preVote(let lastIndex, let lastTerm):
            writer.u8(1)
            writer.u64(lastIndex)
            writer.u64(lastTerm)
        case .preVoteResponse(let granted):
            writer.u8(2)
            writer.bool(granted)
        case .vote(let lastIndex, let lastTerm, let transfer):
            writer.u8(3)
            writer.u64(lastIndex)
            writer.u64(lastTerm)
            writer.bool(transfer)
        case .voteResponse(let granted):
            writer.u8(4)
            writer.bool(granted)
        case .append(let append):
            writer.u8(5)
            writer.u64(append.prevIndex)
            writer.u64(append.prevTerm)
            writer.u64(append.commit)
            writer.u32(UInt32(append.entries.count))
            for entry in append.entries { encode(entry, into: &writer) }
        case .appendResponse(.accepted(let matchIndex)):
            writer.u8(6)
            writer.u64(matchIndex)
        case .appendResponse(.rejected(let rejectedPrevIndex, let hintIndex, let hintTerm)):
            writer.u8(7)
            writer.u64(rejectedPrevIndex)
            writer.u64(hintIndex)
            writer.u64(hintTerm)
        case .heartbeat(let commit, let context):
            writer.u8(8)
            writer.u64(commit)
            writer.u64(context)
        case .heartbeatResponse(let context):
            writer.u8(9)
            writer.u64(context)
        case .installSnapshot(let snapshot):
            writer.u8(10)
            writer.u64(snapshot.metadata.index)
            writer.u64(snapshot.metadata.term)
            encode(snapshot.metadata.configuration, into: &writer)
            writer.blob(snapshot.data)
        case .timeoutNow:
            writer.u8(11)
        }
        return writer.bytes
    }

    static func decode(_ bytes: [UInt8]) throws(WireDecodingError) -> Message {
        var reader = WireReader(bytes)
        let from = try reader.u64()
        let to = try reader.u64()
        let term = try reader.u64()
        let kind: MessageKind
        switch try reader.u8() {
        case 1: kind = .preVote(lastIndex: try reader.u64(), lastTerm: try reader.u64())
        case 2: kind = .preVoteResponse(granted: try reader.bool())
        case 3: kind = .vote(lastIndex: try reader.u64(), lastTerm: try reader.u64(), transfer: try reader.bool())
        case 4: kind = .voteResponse(granted: try reader.bool())
        case 5:
            let prevIndex = try reader.u64()
            let prevTerm = try reader.u64()
            let commit = try reader.u64()
            let count = try reader.count(minimumSize: 17)
            var entries: [Entry] = []
            entries.reserveCapacity(count)
            for _ in 0..<count { entries.append(try decodeEntry(&reader)) }
            kind = .append(AppendEntries(prevIndex: prevIndex, prevTerm: prevTerm, entries: entries, commit: commit))
        case 6: kind = .appendResponse(.accepted(matchIndex: try reader.u64()))
        case 7:
            kind = .appendResponse(
                .rejected(rejectedPrevIndex: try reader.u64(), hintIndex: try reader.u64(), hintTerm: try reader.u64()))
        case 8: kind = .heartbeat(commit: try reader.u64(), context: try reader.u64())
        case 9: kind = .heartbeatResponse(context: try reader.u64())
        case 10:
            let index = try reader.u64()
            let snapshotTerm = try reader.u64()
            let configuration = try decodeConfiguration(&reader)
            let data = try reader.blob()
            kind = .installSnapshot(Snapshot(
                metadata: SnapshotMetadata(index: index, term: snapshotTerm, configuration: configuration), data: data))
        case 11: kind = .timeoutNow
        default: throw WireDecodingError(reason: "unknown raft message kind")
        }
        try reader.finish()
        return Message(from: from, to: to, term: term, kind: kind)
    }

    static func encode(_ entry: Entry, into writer: inout WireWriter) {
        writer.u64(entry.index)
        writer.u64(entry.term)
        switch entry.payload {
        case .empty:
            writer.u8(0)
        case .command(let bytes):
            writer.u8(1)
            writer.blob(bytes)
        case .configuration(let configuration):
            writer.u8(2)
            encode(configuration, into: &writer)
        }
    }

    static func decodeEntry(_ reader: inout WireReader) throws(WireDecodingError) -> Entry {
        let index = try reader.u64()
        let term = try reader.u64()
        let payload: EntryPayload
        switch try reader.u8() {
        case 0: payload = .empty
        case 1: payload = .command(try reader.blob())
        case 2: payload = .configuration(try decodeConfiguration(&reader))
        default: throw WireDecodingError(reason: "unknown entry payload")
        }
        return Entry(index: index, term: term, payload: payload)
    }

    static func encode(_ configuration: Configuration, into writer: inout WireWriter) {
        writer.u32(UInt32(configuration.voters.count))
        for voter in configuration.voters.sorted() { writer.u64(voter) }
        writer.u32(UInt32(configuration.learners.count))
        for learner in configuration.learners.sorted() { writer.u64(learner) }
    }

    static func decodeConfiguration(_ reader: inout WireReader) throws(WireDecodingError) -> Configuration {
        var voters = Set<NodeID>()
        for _ in 0..<(try reader.count(minimumSize: 8)) { voters.insert(try reader.u64()) }
        var learners = Set<NodeID>()
        for _ in 0..<(try reader.count(minimumSize: 8)) { learners.insert(try reader.u64()) }
        guard voters.isDisjoint(with: learners) else { throw WireDecodingError(reason: "voter is also a learner") }
        return Configuration(voters: voters, learners: learners)
    }
}
