import Crypto
import Foundation

/// The byte format of every value the barrier writes:
/// `term (4, big-endian) | version (1) | nonce (12) | ciphertext | tag (16)`,
/// AES-256-GCM with the storage path's UTF-8 bytes as associated data.
///
/// Decoding never traps: any input either opens or yields a ``BarrierError``.
enum BarrierEnvelope {
    static let version: UInt8 = 1
    static let termLength = 4
    static let headerLength = termLength + 1
    static let nonceLength = 12
    static let tagLength = 16
    /// Bytes added to a plaintext: header, nonce and tag.
    static let overhead = headerLength + nonceLength + tagLength

    /// The parts of an encoded value, checked for shape but not yet authenticated.
    struct Parts {
        let term: KeyTerm
        let nonce: ArraySlice<UInt8>
        let ciphertext: ArraySlice<UInt8>
        let tag: ArraySlice<UInt8>
    }

    /// Encrypts `plaintext` for `path` under `key`, labelled with `term`.
    static func seal(
        _ plaintext: some DataProtocol, key: SecretKey, term: KeyTerm, path: String
    ) throws -> [UInt8] {
        let symmetricKey = key.withUnsafeBytes { SymmetricKey(data: $0) }
        let box = try AES.GCM.seal(plaintext, using: symmetricKey, nonce: AES.GCM.Nonce(),
                                   authenticating: Array(path.utf8))
        var output = [UInt8]()
        output.reserveCapacity(overhead + box.ciphertext.count)
        output.append(UInt8(truncatingIfNeeded: term >> 24))
        output.append(UInt8(truncatingIfNeeded: term >> 16))
        output.append(UInt8(truncatingIfNeeded: term >> 8))
        output.append(UInt8(truncatingIfNeeded: term))
        output.append(version)
        box.nonce.withUnsafeBytes { output.append(contentsOf: $0) }
        output.append(contentsOf: box.ciphertext)
        output.append(contentsOf: box.tag)
        return output
    }

    /// Splits `bytes` into its parts, rejecting short input and unknown versions.
    static func parse(_ bytes: [UInt8]) throws(BarrierError) -> Parts {
        guard bytes.count >= overhead else {
            throw .malformed("value of \(bytes.count) bytes is shorter than the \(overhead)-byte envelope")
        }
        let term = bytes[0..<4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard bytes[4] == version else { throw .unsupportedVersion(bytes[4]) }
        let nonceEnd = headerLength + nonceLength
        let tagStart = bytes.count - tagLength
        return Parts(term: term, nonce: bytes[headerLength..<nonceEnd],
                     ciphertext: bytes[nonceEnd..<tagStart], tag: bytes[tagStart...])
    }

    /// Authenticates and decrypts `parts` for `path` under `key`.
    /// Any authentication failure is ``BarrierError/integrity(path:)``.
    static func open(_ parts: Parts, key: SecretKey, path: String) throws(BarrierError) -> Data {
        let symmetricKey = key.withUnsafeBytes { SymmetricKey(data: $0) }
        do {
            let box = try AES.GCM.SealedBox(nonce: AES.GCM.Nonce(data: parts.nonce),
                                            ciphertext: parts.ciphertext, tag: parts.tag)
            return try AES.GCM.open(box, using: symmetricKey, authenticating: Array(path.utf8))
        } catch {
            throw .integrity(path: path)
        }
    }
}
