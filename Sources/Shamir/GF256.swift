/// Arithmetic in GF(2^8) with the AES (Rijndael) reduction polynomial
/// x^8 + x^4 + x^3 + x + 1 (0x11B), the field Vault's `shamir` package uses.
///
/// Timing: multiplication is a fixed 8-round shift-and-add loop in which every
/// data-dependent choice is made with masks, not branches or table lookups, and
/// inversion is a fixed chain of multiplications (a^254). The source therefore has no
/// secret-dependent branches or memory indices. Swift gives no guarantee that the
/// optimiser keeps it that way; the generated code has not been audited per platform.
enum GF256 {
    /// Addition and subtraction are both XOR.
    @inline(__always)
    static func add(_ a: UInt8, _ b: UInt8) -> UInt8 { a ^ b }

    /// Product of `a` and `b` modulo 0x11B.
    @inline(__always)
    static func mul(_ a: UInt8, _ b: UInt8) -> UInt8 {
        var a = a
        var b = b
        var product: UInt8 = 0
        for _ in 0..<8 {
            // mask is 0xFF when the low bit of b is set, else 0x00.
            product ^= a & (0 &- (b & 1))
            // Reduce by 0x1B when the shift carries out of the top bit.
            let carry = 0 &- (a >> 7)
            a = (a << 1) ^ (0x1B & carry)
            b >>= 1
        }
        return product
    }

    /// Multiplicative inverse, a^254 (so inverse(0) is 0; callers never divide by 0).
    static func inverse(_ a: UInt8) -> UInt8 {
        // a^254 = a^2 * a^4 * a^8 * ... * a^128
        var power = mul(a, a)
        var result = power
        for _ in 0..<6 {
            power = mul(power, power)
            result = mul(result, power)
        }
        return result
    }

    /// `a / b`; `b` must be non-zero.
    @inline(__always)
    static func div(_ a: UInt8, _ b: UInt8) -> UInt8 { mul(a, inverse(b)) }
}
