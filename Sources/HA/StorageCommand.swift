import Storage

/// What one Raft log entry carries: the write batches of every request that reached the leader while the
/// previous entry was being made durable (group commit). Each batch stays atomic on apply; the batches of one
/// entry apply in order in one transaction.
enum StorageCommand {
    static func encode(_ batches: [[StorageOperation]]) -> [UInt8] {
        var size = 8
        for batch in batches {
            for operation in batch {
                switch operation {
                case .put(let key, let value): size += 9 + key.utf8.count + value.count
                case .delete(let key): size += 5 + key.utf8.count
                }
            }
        }
        var writer = WireWriter(capacity: size)
        writer.u8(1)  // format version
        writer.u32(UInt32(batches.count))
        for batch in batches {
            writer.u32(UInt32(batch.count))
            for operation in batch {
                switch operation {
                case .put(let key, let value):
                    writer.u8(1)
                    writer.string(key)
                    writer.blob(value)
                case .delete(let key):
                    writer.u8(2)
                    writer.string(key)
                }
            }
        }
        return writer.bytes
    }

    static func decode(_ bytes: [UInt8]) throws(WireDecodingError) -> [[StorageOperation]] {
        var reader = WireReader(bytes)
        guard try reader.u8() == 1 else { throw WireDecodingError(reason: "unknown command format") }
        var batches: [[StorageOperation]] = []
        for _ in 0..<(try reader.count(minimumSize: 4)) {
            var batch: [StorageOperation] = []
            for _ in 0..<(try reader.count(minimumSize: 5)) {
                switch try reader.u8() {
                case 1: batch.append(.put(key: try reader.string(), value: try reader.blob()))
                case 2: batch.append(.delete(key: try reader.string()))
                default: throw WireDecodingError(reason: "unknown storage operation")
                }
            }
            batches.append(batch)
        }
        try reader.finish()
        return batches
    }
}
