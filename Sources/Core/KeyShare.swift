import Foundation

/// One unseal key share as a key holder submitted it, decoded from hex or base64.
/// The bytes live in memory this type owns and are zeroed when it is released.
///
/// `@unchecked Sendable`: the buffer is written once in `init` and then only read until
/// `deinit` zeroes it, when no other reference can exist; no mutation is shared.
public final class KeyShare: @unchecked Sendable {
    /// Shares shorter than this are refused, as Vault does.
    public static let minimumLength = 16
    /// A share is the key (32 bytes) plus one byte of x coordinate.
    public static let maximumLength = 33

    private let storage: UnsafeMutableRawBufferPointer

    /// Copies `bytes`; the caller zeroes its own copy.
    public init(copying bytes: some Collection<UInt8>) {
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
        storage.initializeMemory(as: UInt8.self, repeating: 0)
        _ = UnsafeMutableRawBufferPointer(rebasing: storage[0..<bytes.count]).initializeMemory(
            as: UInt8.self, from: bytes)
        count = bytes.count
    }

    public let count: Int

    deinit {
        wipe(storage)
        storage.deallocate()
    }

    /// Decodes a share the way Vault's `sys/unseal` does: hex first, then base64.
    public static func decode(_ text: String) throws(CoreError) -> KeyShare {
        // One binding only: a second reference to the array's buffer would make the wipe
        // below copy it (copy-on-write) and zero the copy, leaving the share in the original.
        guard var decoded = hexBytes(text) ?? base64Bytes(text) else {
            throw CoreError.badRequest("'key' must be a valid hex or base64 string")
        }
        defer { wipe(&decoded) }
        if decoded.count < minimumLength {
            throw CoreError.badRequest("invalid key: key is shorter than minimum \(minimumLength) bytes")
        }
        if decoded.count > maximumLength {
            throw CoreError.badRequest("invalid key: key is longer than maximum \(maximumLength) bytes")
        }
        return KeyShare(copying: decoded)
    }

    /// Calls `body` with the share's bytes; the array passed must not escape.
    public func withBytes<T, Failure: Error>(_ body: ([UInt8]) throws(Failure) -> T) throws(Failure) -> T {
        var copy = Array(UnsafeRawBufferPointer(rebasing: storage[0..<count]))
        defer { wipe(&copy) }
        return try body(copy)
    }

    /// Constant-time equality of two shares' bytes (lengths are not secret).
    public func isSame(as other: KeyShare) -> Bool {
        guard count == other.count else { return false }
        var difference: UInt8 = 0
        for index in 0..<count {
            difference |= storage[index] ^ other.storage[index]
        }
        return difference == 0
    }
}

/// Overwrites a buffer with zeros in a way the optimiser does not remove.
@inline(never)
func wipe(_ buffer: UnsafeMutableRawBufferPointer) {
    guard let base = buffer.baseAddress else { return }
    memset(base, 0, buffer.count)
    withExtendedLifetime(buffer) {}
}

@inline(never)
func wipe(_ bytes: inout [UInt8]) {
    bytes.withUnsafeMutableBytes { wipe($0) }
}

/// Base64 to bytes, zeroing the intermediate `Data`.
private func base64Bytes(_ text: String) -> [UInt8]? {
    guard var data = Data(base64Encoded: text) else { return nil }
    defer { data.withUnsafeMutableBytes { wipe($0) } }
    return Array(data)
}

/// Hex to bytes; the copy of the text and a half-decoded result are zeroed.
private func hexBytes(_ text: String) -> [UInt8]? {
    var utf8 = Array(text.utf8)
    defer { wipe(&utf8) }
    guard utf8.count % 2 == 0, !utf8.isEmpty else { return nil }
    var result = [UInt8]()
    result.reserveCapacity(utf8.count / 2)
    var index = 0
    while index < utf8.count {
        guard let high = hexNibble(utf8[index]), let low = hexNibble(utf8[index + 1]) else {
            wipe(&result)
            return nil
        }
        result.append(high << 4 | low)
        index += 2
    }
    return result
}

private func hexNibble(_ character: UInt8) -> UInt8? {
    switch character {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
    default: nil
    }
}

/// Lower-case hex of bytes, as Vault prints unseal keys.
public func hexString(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    out.reserveCapacity(bytes.count * 2)
    for byte in bytes {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
}
