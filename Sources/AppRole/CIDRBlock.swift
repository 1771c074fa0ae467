/// An IPv4 or IPv6 network in CIDR notation ("10.0.0.0/8"), parsed without any system
/// call. An immutable value; host bits written after the address are kept out of
/// `network` the way Go's `net.ParseCIDR` keeps them out.
struct CIDRBlock: Sendable, Equatable {
    /// 4 bytes for IPv4, 16 for IPv6, host bits cleared.
    let network: [UInt8]
    let prefixLength: Int

    /// Parses "address/prefix"; nil unless both parts are valid (Go's `net.ParseCIDR`).
    init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = IPAddress.bytes(String(parts[0])),
            let length = Int(parts[1]), parts[1].allSatisfy(\.isASCII), length >= 0, length <= address.count * 8
        else { return nil }
        self.prefixLength = length
        self.network = Self.masked(address, length)
    }

    /// Whether `address` (4 or 16 bytes; an IPv4-mapped IPv6 address counts as IPv4) is
    /// inside this block.
    func contains(_ address: [UInt8]) -> Bool {
        let candidate = IPAddress.unmapped(address)
        guard candidate.count == network.count else { return false }
        return Self.masked(candidate, prefixLength) == network
    }

    /// Whether every address of `other` is inside this block.
    func contains(_ other: CIDRBlock) -> Bool {
        other.network.count == network.count && prefixLength <= other.prefixLength && contains(other.network)
    }

    private static func masked(_ address: [UInt8], _ length: Int) -> [UInt8] {
        var result = address
        for index in result.indices {
            let bitsHere = max(0, min(8, length - index * 8))
            let mask: UInt8 = bitsHere == 0 ? 0 : UInt8(truncatingIfNeeded: 0xFF << (8 - bitsHere))
            result[index] &= mask
        }
        return result
    }
}

/// Textual IP addresses as Go's `net.ParseIP` accepts them. Stateless.
enum IPAddress {
    /// The bytes of an IPv4 (4 bytes) or IPv6 (16 bytes) address, nil if `text` is neither.
    static func bytes(_ text: String) -> [UInt8]? {
        if text.contains(":") { return ipv6(text) }
        return ipv4(Substring(text))
    }

    /// IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) as their 4 IPv4 bytes.
    static func unmapped(_ address: [UInt8]) -> [UInt8] {
        if address.count == 16, address[0..<10].allSatisfy({ $0 == 0 }), address[10] == 0xFF, address[11] == 0xFF {
            return Array(address[12...])
        }
        return address
    }

    /// The address part of a remote address that may carry a port ("1.2.3.4:5678",
    /// "[::1]:5678"); nil if no address can be found.
    static func fromRemote(_ text: String) -> [UInt8]? {
        if let plain = bytes(text) { return plain }
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            return bytes(String(text[text.index(after: text.startIndex)..<close]))
        }
        if let colon = text.lastIndex(of: ":"), text.firstIndex(of: ":") == colon {
            return bytes(String(text[..<colon]))
        }
        return nil
    }

    private static func ipv4(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var result: [UInt8] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }),
                !(part.count > 1 && part.first == "0"), let value = UInt8(part)
            else { return nil }
            result.append(value)
        }
        return result
    }

    private static func ipv6(_ text: String) -> [UInt8]? {
        var body = Substring(text)
        var tail: [UInt8] = []
        if let lastColon = body.lastIndex(of: ":"), body[body.index(after: lastColon)...].contains(".") {
            guard let v4 = ipv4(body[body.index(after: lastColon)...]) else { return nil }
            tail = v4
            body = body[...lastColon]
            if body.hasSuffix(":") && !body.hasSuffix("::") { body = body.dropLast() }
        }
        let halves = body.components(separatedByDoubleColon: ())
        guard halves.count <= 2 else { return nil }
        func groups(_ part: Substring) -> [UInt8]? {
            if part.isEmpty { return [] }
            var out: [UInt8] = []
            for group in part.split(separator: ":", omittingEmptySubsequences: false) {
                guard !group.isEmpty, group.count <= 4, let value = UInt16(group, radix: 16) else { return nil }
                out.append(UInt8(value >> 8))
                out.append(UInt8(value & 0xFF))
            }
            return out
        }
        guard let head = groups(halves[0]) else { return nil }
        if halves.count == 1 {
            let result = head + tail
            return result.count == 16 ? result : nil
        }
        guard let rest = groups(halves[1]) else { return nil }
        let filled = head.count + rest.count + tail.count
        guard filled <= 14 else { return nil }
        return head + [UInt8](repeating: 0, count: 16 - filled) + rest + tail
    }
}

extension Substring {
    /// Splits at the first "::" only (at most two parts), for IPv6 parsing.
    fileprivate func components(separatedByDoubleColon _: ()) -> [Substring] {
        var index = startIndex
        while index < endIndex {
            let next = self.index(after: index)
            if self[index] == ":", next < endIndex, self[next] == ":" {
                let after = self.index(after: next)
                if self[after...].contains("::") { return [self, self, self] }
                return [self[startIndex..<index], self[after...]]
            }
            index = next
        }
        return [self]
    }
}
