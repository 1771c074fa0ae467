import Raft

// The on-disk record formats. Every record is `version (u8) | fields | crc32c (u32)`, integers big-endian,
// variable-length fields prefixed by their length. The checksum covers every byte before it. Decoding
// checks each length against the bytes that remain before reading, then the checksum, and only then hands
// the decoded value out.
//
//   entry             1 | index u64 | term u64 | kind u8 | payload length u32 | payload | crc
//                     kind 0 empty (no payload), 1 command (bytes), 2 configuration (see below)
//   configuration     voter count u32 | voters u64... | learner count u32 | learners u64...
//   hard state        1 | term u64 | has vote u8 | vote u64 | commit u64 | crc
//   snapshot metadata 1 | index u64 | term u64 | configuration length u32 | configuration | crc
//   snapshot data     1 | index u64 | data length u64 | data | crc
//   applied index     1 | applied u64 | crc

extension RaftLogStore {
    static let formatVersion: UInt8 = 1

    /// Why a record did not decode, before it is tied to the record it came from.
    enum DecodeFailure: Error {
        case truncated
        case invalid
    }

    /// Appends big-endian fields to a byte buffer and seals it with the checksum.
    struct RecordWriter {
        private(set) var bytes: [UInt8] = [RaftLogStore.formatVersion]

        mutating func u8(_ value: UInt8) { bytes.append(value) }

        mutating func u32(_ value: UInt32) {
            for shift in stride(from: 24, through: 0, by: -8) {
                bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift)))
            }
        }

        mutating func u64(_ value: UInt64) {
            for shift in stride(from: 56, through: 0, by: -8) {
                bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
            }
        }

        mutating func raw(_ value: [UInt8]) { bytes.append(contentsOf: value) }

        func sealed() -> [UInt8] {
            var copy = RecordWriter(bytes: bytes)
            copy.u32(CRC32C.checksum(bytes))
            return copy.bytes
        }

        private init(bytes: [UInt8]) { self.bytes = bytes }
        init() {}
    }

    /// Reads big-endian fields, checking every length against the bytes that remain.
    struct RecordReader {
        private let bytes: [UInt8]
        private var offset = 0

        /// Starts reading `bytes`, whose first byte must be the format version.
        init(_ bytes: [UInt8]) throws(DecodeFailure) {
            self.bytes = bytes
            guard try u8() == RaftLogStore.formatVersion else { throw .invalid }
        }

        var remaining: Int { bytes.count - offset }

        mutating func u8() throws(DecodeFailure) -> UInt8 {
            guard remaining >= 1 else { throw .truncated }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func u32() throws(DecodeFailure) -> UInt32 {
            guard remaining >= 4 else { throw .truncated }
            var value: UInt32 = 0
            for byte in bytes[offset..<offset + 4] { value = value << 8 | UInt32(byte) }
            offset += 4
            return value
        }

        mutating func u64() throws(DecodeFailure) -> UInt64 {
            guard remaining >= 8 else { throw .truncated }
            var value: UInt64 = 0
            for byte in bytes[offset..<offset + 8] { value = value << 8 | UInt64(byte) }
            offset += 8
            return value
        }

        /// `count` raw bytes; the count comes from disk, so it is checked before any allocation.
        mutating func raw(count: UInt64) throws(DecodeFailure) -> [UInt8] {
            guard count <= UInt64(remaining) else { throw .truncated }
            let length = Int(count)
            defer { offset += length }
            return Array(bytes[offset..<offset + length])
        }

        /// Reads the trailing checksum and verifies it covers everything read so far, with nothing after it.
        mutating func verifyChecksum() throws(DecodeFailure) {
            let covered = offset
            let stored = try u32()
            guard remaining == 0, stored == CRC32C.checksum(bytes[0..<covered]) else { throw .invalid }
        }
    }

    // MARK: - Entries

    static func entryKey(_ index: LogIndex) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: index >> (56 - 8 * $0)) }
    }

    static func index(ofEntryKey key: [UInt8]) throws(RaftLogStoreError) -> LogIndex {
        guard key.count == 8 else { throw .invalidEntryKey(length: key.count) }
        return key.reduce(0) { $0 << 8 | UInt64($1) }
    }

    static func encode(_ entry: Entry) -> [UInt8] {
        var writer = RecordWriter()
        writer.u64(entry.index)
        writer.u64(entry.term)
        let kind: UInt8
        let payload: [UInt8]
        switch entry.payload {
        case .empty:
            kind = 0
            payload = []
        case .command(let bytes):
            kind = 1
            payload = bytes
        case .configuration(let configuration):
            kind = 2
            payload = encode(configuration)
        }
        writer.u8(kind)
        writer.u32(UInt32(payload.count))
        writer.raw(payload)
        return writer.sealed()
    }

    /// Decodes and verifies the entry stored under the key for `index`.
    static func decodeEntry(_ bytes: [UInt8], index: LogIndex) throws(RaftLogStoreError) -> Entry {
        do throws(DecodeFailure) {
            var reader = try RecordReader(bytes)
            let storedIndex = try reader.u64()
            let term = try reader.u64()
            let kind = try reader.u8()
            let payload = try reader.raw(count: UInt64(try reader.u32()))
            try reader.verifyChecksum()
            guard storedIndex == index else { throw .invalid }
            switch kind {
            case 0:
                guard payload.isEmpty else { throw .invalid }
                return Entry(index: index, term: term, payload: .empty)
            case 1:
                return Entry(index: index, term: term, payload: .command(payload))
            case 2:
                return Entry(index: index, term: term, payload: .configuration(try decodeConfiguration(payload)))
            default:
                throw .invalid
            }
        } catch .truncated {
            throw .truncatedEntry(index: index)
        } catch {
            throw .corruptEntry(index: index)
        }
    }

    // MARK: - Configuration

    static func encode(_ configuration: Configuration) -> [UInt8] {
        var writer = RecordWriter()
        for members in [configuration.voters, configuration.learners] {
            writer.u32(UInt32(members.count))
            for member in members.sorted() { writer.u64(member) }
        }
        return writer.bytes
    }

    /// A configuration nested in an already verified record; a short one is invalid, not truncated.
    static func decodeConfiguration(_ bytes: [UInt8]) throws(DecodeFailure) -> Configuration {
        do throws(DecodeFailure) {
            var reader = try RecordReader(bytes)
            var sets: [Set<NodeID>] = []
            for _ in 0..<2 {
                let count = UInt64(try reader.u32())
                guard count <= UInt64(reader.remaining / 8) else { throw .invalid }
                var members = Set<NodeID>()
                for _ in 0..<count { members.insert(try reader.u64()) }
                sets.append(members)
            }
            guard reader.remaining == 0, sets.count == 2, sets[0].isDisjoint(with: sets[1]) else {
                throw .invalid
            }
            return Configuration(voters: sets[0], learners: sets[1])
        } catch {
            throw .invalid
        }
    }

    // MARK: - Single records

    static func encode(_ hardState: HardState) -> [UInt8] {
        var writer = RecordWriter()
        writer.u64(hardState.term)
        writer.u8(hardState.vote == nil ? 0 : 1)
        writer.u64(hardState.vote ?? 0)
        writer.u64(hardState.commit)
        return writer.sealed()
    }

    static func decodeHardState(_ bytes: [UInt8]) throws(RaftLogStoreError) -> HardState {
        try decodeRecord(bytes, as: .hardState) { (reader: inout RecordReader) throws(DecodeFailure) -> HardState in
            let term = try reader.u64()
            let hasVote = try reader.u8()
            let vote = try reader.u64()
            let commit = try reader.u64()
            try reader.verifyChecksum()
            guard hasVote <= 1, hasVote == 1 || vote == 0 else { throw .invalid }
            return HardState(term: term, vote: hasVote == 1 ? vote : nil, commit: commit)
        }
    }

    static func encode(_ metadata: SnapshotMetadata) -> [UInt8] {
        var writer = RecordWriter()
        writer.u64(metadata.index)
        writer.u64(metadata.term)
        let configuration = encode(metadata.configuration)
        writer.u32(UInt32(configuration.count))
        writer.raw(configuration)
        return writer.sealed()
    }

    static func decodeSnapshotMetadata(_ bytes: [UInt8]) throws(RaftLogStoreError) -> SnapshotMetadata {
        try decodeRecord(bytes, as: .snapshotMetadata) {
            (reader: inout RecordReader) throws(DecodeFailure) -> SnapshotMetadata in
            let index = try reader.u64()
            let term = try reader.u64()
            let configuration = try reader.raw(count: UInt64(try reader.u32()))
            try reader.verifyChecksum()
            return SnapshotMetadata(index: index, term: term, configuration: try decodeConfiguration(configuration))
        }
    }

    static func encodeSnapshotData(_ data: [UInt8], index: LogIndex) -> [UInt8] {
        var writer = RecordWriter()
        writer.u64(index)
        writer.u64(UInt64(data.count))
        writer.raw(data)
        return writer.sealed()
    }

    /// The snapshot data, which must belong to the snapshot at `index` (a mismatch is corruption).
    static func decodeSnapshotData(_ bytes: [UInt8], index: LogIndex) throws(RaftLogStoreError) -> [UInt8] {
        try decodeRecord(bytes, as: .snapshotData) { (reader: inout RecordReader) throws(DecodeFailure) -> [UInt8] in
            let storedIndex = try reader.u64()
            let data = try reader.raw(count: try reader.u64())
            try reader.verifyChecksum()
            guard storedIndex == index else { throw .invalid }
            return data
        }
    }

    static func encodeApplied(_ index: LogIndex) -> [UInt8] {
        var writer = RecordWriter()
        writer.u64(index)
        return writer.sealed()
    }

    static func decodeApplied(_ bytes: [UInt8]) throws(RaftLogStoreError) -> LogIndex {
        try decodeRecord(bytes, as: .appliedIndex) { (reader: inout RecordReader) throws(DecodeFailure) -> LogIndex in
            let index = try reader.u64()
            try reader.verifyChecksum()
            return index
        }
    }

    /// Runs `body` over a record and maps its failure to the record's typed error.
    private static func decodeRecord<Value>(
        _ bytes: [UInt8], as record: RaftLogStoreRecord,
        _ body: (inout RecordReader) throws(DecodeFailure) -> Value
    ) throws(RaftLogStoreError) -> Value {
        do throws(DecodeFailure) {
            var reader = try RecordReader(bytes)
            return try body(&reader)
        } catch .truncated {
            throw .truncatedRecord(record)
        } catch {
            throw .corruptRecord(record)
        }
    }
}
