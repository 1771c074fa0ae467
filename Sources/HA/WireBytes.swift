/// Appends big-endian integers and length-prefixed byte strings: the one encoding every cluster payload of
/// this module uses (Raft messages, storage commands, snapshots, forwarded requests).
struct WireWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 64) {
        bytes.reserveCapacity(capacity)
    }

    mutating func u8(_ value: UInt8) { bytes.append(value) }

    mutating func u32(_ value: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> shift)) }
    }

    mutating func u64(_ value: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> shift)) }
    }

    mutating func bool(_ value: Bool) { u8(value ? 1 : 0) }

    /// A 32-bit length, then the bytes.
    mutating func blob(_ value: some Collection<UInt8>) {
        u32(UInt32(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func string(_ value: String) { blob(Array(value.utf8)) }
}

/// Why a payload could not be decoded. Every decoder of this module throws it for short, trailing or
/// out-of-range input; none traps.
struct WireDecodingError: Error, Equatable {
    let reason: String
}

/// Reads what `WireWriter` wrote, checking every length against the bytes left.
struct WireReader {
    private let bytes: [UInt8]
    private var offset: Int

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        self.offset = 0
    }

    var isAtEnd: Bool { offset == bytes.count }

    mutating func u8() throws(WireDecodingError) -> UInt8 {
        guard offset < bytes.count else { throw WireDecodingError(reason: "truncated") }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u32() throws(WireDecodingError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 { value = value << 8 | UInt32(try u8()) }
        return value
    }

    mutating func u64() throws(WireDecodingError) -> UInt64 {
        var value: UInt64 = 0
        for _ in 0..<8 { value = value << 8 | UInt64(try u8()) }
        return value
    }

    mutating func bool() throws(WireDecodingError) -> Bool {
        switch try u8() {
        case 0: return false
        case 1: return true
        default: throw WireDecodingError(reason: "bad boolean")
        }
    }

    mutating func blob() throws(WireDecodingError) -> [UInt8] {
        let count = Int(try u32())
        guard count <= bytes.count - offset else { throw WireDecodingError(reason: "length past the end") }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    mutating func string() throws(WireDecodingError) -> String {
        let raw = try blob()
        guard let text = String(validating: raw, as: UTF8.self) else { throw WireDecodingError(reason: "bad UTF-8") }
        return text
    }

    /// A count of items that follow, each at least `minimumSize` bytes: refuses counts the input cannot hold,
    /// so a hostile count never makes a decoder reserve memory.
    mutating func count(minimumSize: Int) throws(WireDecodingError) -> Int {
        let count = Int(try u32())
        guard count * max(1, minimumSize) <= bytes.count - offset else {
            throw WireDecodingError(reason: "count past the end")
        }
        return count
    }

    func finish() throws(WireDecodingError) {
        guard isAtEnd else { throw WireDecodingError(reason: "trailing bytes") }
    }
}
