import Crypto

/// HMAC-SHA256 of secrets under a per-role (or per-mount) random key, as lowercase hex:
/// what AppRole stores and indexes in place of a secret_id, a role_id or an accessor.
/// The key never leaves the mount's storage (which is behind the barrier).
struct SecretHMAC: Sendable {
    private let key: SymmetricKey

    init(keyBytes: [UInt8]) {
        self.key = SymmetricKey(data: keyBytes)
    }

    /// Hex of HMAC-SHA256(key, value).
    func hex(_ value: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array(value.utf8), using: key)
        return Self.hexString(Array(mac))
    }

    static func hexString(_ bytes: [UInt8]) -> String {
        let digits: [Character] = Array("0123456789abcdef")
        var text = ""
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return text
    }

    static func bytes(fromHex text: String) -> [UInt8]? {
        let scalars = Array(text.utf8)
        guard scalars.count % 2 == 0 else { return nil }
        var result: [UInt8] = []
        result.reserveCapacity(scalars.count / 2)
        var index = 0
        while index < scalars.count {
            guard let high = nibble(scalars[index]), let low = nibble(scalars[index + 1]) else { return nil }
            result.append(high << 4 | low)
            index += 2
        }
        return result
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// Comparison of secret material whose running time depends only on the lengths, never
/// on where the inputs first differ.
enum ConstantTime {
    static func equal(_ lhs: some Collection<UInt8>, _ rhs: some Collection<UInt8>) -> Bool {
        var difference = UInt8(truncatingIfNeeded: lhs.count ^ rhs.count)
        // Walk the longer input in full so a length mismatch costs the same as a match.
        let left = Array(lhs)
        let right = Array(rhs)
        let length = max(left.count, right.count)
        for index in 0..<length {
            let a = index < left.count ? left[index] : 0
            let b = index < right.count ? right[index] : 0
            difference |= a ^ b
        }
        return difference == 0 && left.count == right.count
    }

    static func equal(_ lhs: String, _ rhs: String) -> Bool {
        equal(Array(lhs.utf8), Array(rhs.utf8))
    }
}
