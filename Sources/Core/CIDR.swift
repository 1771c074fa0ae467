/// CIDR blocks ("10.0.0.0/8", "2001:db8::/32", or a bare address) and membership tests,
/// for tokens and secret_ids bound to client addresses.
public struct CIDR: Sendable, Equatable {
    public let network: [UInt8]
    public let prefixLength: Int

    /// Parses a block; nil when malformed.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = CIDR.parseAddress(String(parts[0])) else { return nil }
        let maximum = address.count * 8
        var length = maximum
        if parts.count == 2 {
            guard let parsed = Int(parts[1]), (0...maximum).contains(parsed) else { return nil }
            length = parsed
        }
        network = CIDR.masked(address, length)
        prefixLength = length
    }

    public func contains(_ address: String) -> Bool {
        guard let bytes = CIDR.parseAddress(address), bytes.count == network.count else { return false }
        return CIDR.masked(bytes, prefixLength) == network
    }

    /// Whether `address` falls in any of `blocks`; a nil address is in none.
    public static func contains(_ blocks: [String], address: String?) -> Bool {
        guard let address else { return false }
        return blocks.contains { CIDR($0)?.contains(address) ?? false }
    }

    static func masked(_ bytes: [UInt8], _ length: Int) -> [UInt8] {
        bytes.enumerated().map { index, byte in
            let bits = max(0, min(8, length - index * 8))
            return bits == 0 ? 0 : byte & UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
        }
    }

    /// IPv4 dotted quad or IPv6 (with `::`, and `::ffff:a.b.c.d` mapped to IPv4).
    static func parseAddress(_ text: String) -> [UInt8]? {
        if text.contains(":") {
            if text.lowercased().hasPrefix("::ffff:"), let v4 = parseIPv4(String(text.dropFirst(7))) { return v4 }
            return parseIPv6(text)
        }
        return parseIPv4(text)
    }

    static func parseIPv4(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isASCII), let value = UInt8(part) else {
                return nil
            }
            bytes.append(value)
        }
        return bytes
    }

    static func parseIPv6(_ text: String) -> [UInt8]? {
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt16]? {
            if part.isEmpty { return [] }
            var result: [UInt16] = []
            for group in part.split(separator: ":", omittingEmptySubsequences: false) {
                guard (1...4).contains(group.count), let value = UInt16(group, radix: 16) else { return nil }
                result.append(value)
            }
            return result
        }
        guard let head = groups(halves[0]) else { return nil }
        var all = head
        if halves.count == 2 {
            guard let tail = groups(halves[1]), head.count + tail.count < 8 else { return nil }
            all += Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        }
        guard all.count == 8 else { return nil }
        return all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }
}
