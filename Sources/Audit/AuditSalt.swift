import Crypto
import Foundation

/// A device's HMAC key. Sensitive strings in its log appear as
/// `hmac-sha256:<hex of HMAC-SHA256(salt, value)>`, as in Vault, so an operator who
/// knows a value can find it (`sys/audit-hash`) but the log does not reveal it.
///
/// The salt is created once per device and kept behind the barrier; in memory only
/// while the node is unsealed.
struct AuditSalt: Sendable {
    static let byteCount = 32
    static let prefix = "hmac-sha256:"

    let key: SymmetricKey

    init(bytes: [UInt8]) {
        key = SymmetricKey(data: bytes)
    }

    func hmac(_ value: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Array(value.utf8), using: key)
        return Self.prefix + hex(Array(code))
    }
}

func hex(_ bytes: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for byte in bytes {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
}
