import Foundation

/// The keyring's plaintext form, which the barrier encrypts under the root key:
/// `format (1) = 1 | active term (4) | count (4) | count x [term (4) | install time in
/// milliseconds since 1970 (8, signed) | key (32)]`, integers big-endian.
extension Keyring {
    static let formatVersion: UInt8 = 1
    static let entryLength = 4 + 8 + SecretKey.byteCount

    /// The plaintext encoding. It contains every key: zero it after sealing.
    func encoded() -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(9 + entries.count * Self.entryLength)
        bytes.append(Self.formatVersion)
        Self.append(activeTerm, to: &bytes)
        Self.append(UInt32(entries.count), to: &bytes)
        for term in entries.keys.sorted() {
            guard let entry = entries[term] else { continue }
            Self.append(entry.term, to: &bytes)
            let millis = Int64((entry.installTime.timeIntervalSince1970 * 1000).rounded())
            Self.append(UInt64(bitPattern: millis), to: &bytes)
            entry.key.withUnsafeBytes { bytes.append(contentsOf: $0) }
        }
        return bytes
    }

    /// Decodes a keyring; every inconsistency is ``BarrierError/malformed(_:)``.
    init(decoding bytes: some Collection<UInt8>) throws(BarrierError) {
        var reader = ByteReader(Array(bytes))
        defer { reader.zero() }
        guard let format = reader.readByte() else { throw .malformed("keyring is empty") }
        guard format == Self.formatVersion else { throw .malformed("keyring format \(format) is unknown") }
        guard let activeTerm = reader.readUInt32(), let count = reader.readUInt32() else {
            throw .malformed("keyring header is truncated")
        }
        guard count >= 1 else { throw .malformed("keyring holds no keys") }
        guard reader.remaining == Int(count) * Self.entryLength else {
            throw .malformed("keyring length does not match its \(count) entries")
        }
        var entries = [Entry]()
        for _ in 0..<count {
            guard let term = reader.readUInt32(), let millis = reader.readUInt64() else {
                throw .malformed("keyring entry is truncated")
            }
            let key = try reader.readKey()
            let seconds = Double(Int64(bitPattern: millis)) / 1000
            entries.append(Entry(term: term, key: key, installTime: Date(timeIntervalSince1970: seconds)))
        }
        do {
            try self.init(entries: entries, activeTerm: activeTerm)
        } catch {
            for entry in entries { entry.key.zero() }
            throw error
        }
    }

    private static func append(_ value: UInt32, to bytes: inout [UInt8]) {
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> shift)) }
    }

    private static func append(_ value: UInt64, to bytes: inout [UInt8]) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> shift)) }
    }
}

/// Reads big-endian integers from a byte array, returning nil instead of reading past
/// the end.
private struct ByteReader {
    private var bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }

    mutating func readByte() -> UInt8? {
        guard remaining >= 1 else { return nil }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func readUInt32() -> UInt32? {
        guard remaining >= 4 else { return nil }
        defer { offset += 4 }
        return bytes[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
    }

    mutating func readUInt64() -> UInt64? {
        guard remaining >= 8 else { return nil }
        defer { offset += 8 }
        return bytes[offset..<offset + 8].reduce(0) { $0 << 8 | UInt64($1) }
    }

    mutating func readKey() throws(BarrierError) -> SecretKey {
        guard remaining >= SecretKey.byteCount else { throw .malformed("keyring key is truncated") }
        defer { offset += SecretKey.byteCount }
        return try SecretKey(bytes: bytes[offset..<offset + SecretKey.byteCount])
    }

    mutating func zero() { secureZero(&bytes) }
}
