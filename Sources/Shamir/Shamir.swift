/// Shamir's secret sharing over GF(2^8), byte-compatible with Vault's `shamir` package.
///
/// Layout: each share is the y bytes (one per secret byte) followed by one trailing byte
/// holding the share's x coordinate. x = 0 is never used (it would be the secret); the
/// x coordinates of one split are distinct and drawn at random from 1...255. Every
/// secret byte gets its own random polynomial of degree `threshold - 1` whose constant
/// term is that byte.
///
/// Limits: `shares` in 2...255 and `threshold` in 2...shares. Vault's 1-of-1 mode (the
/// unseal key itself is the only share) is not a Shamir split and is left to the caller.
///
/// `combine` cannot know the threshold: given fewer shares than the threshold it
/// returns unrelated bytes, not an error (the same as Vault). Callers verify the result
/// (for example by trying to open the root key).
///
/// Timing: see ``GF256``; loop counts depend only on public sizes (share count,
/// threshold, secret length). Temporary coefficient buffers are zeroed before return
/// (best effort: Swift does not promise that no other copy exists).
public enum Shamir {
    /// Splits `secret` into `shares` shares, any `threshold` of which recover it.
    ///
    /// - Parameter rng: the source of coefficients and x coordinates. It must be a
    ///   cryptographically secure generator outside tests.
    public static func split(
        secret: [UInt8],
        shares: Int,
        threshold: Int,
        using rng: inout some RandomNumberGenerator
    ) throws(ShamirError) -> [[UInt8]] {
        guard !secret.isEmpty else {
            throw .invalidParameters("the secret must not be empty")
        }
        guard (2...255).contains(shares) else {
            throw .invalidParameters("shares must be in 2...255, got \(shares)")
        }
        guard (2...shares).contains(threshold) else {
            throw .invalidParameters("threshold must be in 2...\(shares), got \(threshold)")
        }

        let xs = randomXCoordinates(count: shares, using: &rng)

        // Coefficients of degree 1...threshold-1 for every secret byte, laid out as
        // coefficients[byte * degree + (k - 1)].
        let degree = threshold - 1
        var coefficients = [UInt8](repeating: 0, count: secret.count * degree)
        fillRandom(&coefficients, using: &rng)
        defer { zeroize(&coefficients) }

        var result = [[UInt8]]()
        result.reserveCapacity(shares)
        for x in xs {
            var share = [UInt8](repeating: 0, count: secret.count + 1)
            for byteIndex in secret.indices {
                let base = byteIndex * degree
                // Horner's rule from the highest coefficient down to the constant term.
                var y = coefficients[base + degree - 1]
                var k = degree - 1
                while k >= 1 {
                    y = GF256.add(GF256.mul(y, x), coefficients[base + k - 1])
                    k -= 1
                }
                y = GF256.add(GF256.mul(y, x), secret[byteIndex])
                share[byteIndex] = y
            }
            share[secret.count] = x
            result.append(share)
        }
        return result
    }

    /// Splits `secret` using the system's cryptographically secure generator
    /// (`SystemRandomNumberGenerator`: `getrandom(2)` on Linux, `arc4random` on Darwin).
    public static func split(secret: [UInt8], shares: Int, threshold: Int) throws(ShamirError) -> [[UInt8]] {
        var rng = SystemRandomNumberGenerator()
        return try split(secret: secret, shares: shares, threshold: threshold, using: &rng)
    }

    /// Recovers the secret from shares in the layout ``split(secret:shares:threshold:)``
    /// produces, by Lagrange interpolation at x = 0.
    ///
    /// Rejects fewer than two shares, shares shorter than two bytes, shares of differing
    /// lengths, x = 0 and repeated x coordinates. Share order does not matter.
    public static func combine(_ shares: [[UInt8]]) throws(ShamirError) -> [UInt8] {
        guard shares.count >= 2 else { throw .tooFewShares(count: shares.count) }
        let length = shares[0].count
        guard length >= 2 else { throw .shareTooShort(length: length) }
        for share in shares where share.count != length {
            throw share.count < 2 ? .shareTooShort(length: share.count) : .mismatchedLengths
        }

        let xs = shares.map { $0[length - 1] }
        var seen = [Bool](repeating: false, count: 256)
        for x in xs {
            guard x != 0 else { throw .zeroX }
            guard !seen[Int(x)] else { throw .duplicateX(x) }
            seen[Int(x)] = true
        }

        // Lagrange basis at 0: l_i(0) = prod_{j != i} x_j / (x_i - x_j); '-' is XOR.
        var basis = [UInt8](repeating: 0, count: xs.count)
        for i in xs.indices {
            var numerator: UInt8 = 1
            var denominator: UInt8 = 1
            for j in xs.indices where j != i {
                numerator = GF256.mul(numerator, xs[j])
                denominator = GF256.mul(denominator, GF256.add(xs[i], xs[j]))
            }
            basis[i] = GF256.div(numerator, denominator)
        }

        var secret = [UInt8](repeating: 0, count: length - 1)
        for byteIndex in 0..<(length - 1) {
            var value: UInt8 = 0
            for i in shares.indices {
                value = GF256.add(value, GF256.mul(shares[i][byteIndex], basis[i]))
            }
            secret[byteIndex] = value
        }
        return secret
    }

    /// `count` distinct values from 1...255 in random order (a partial Fisher-Yates shuffle).
    static func randomXCoordinates(count: Int, using rng: inout some RandomNumberGenerator) -> [UInt8] {
        var pool = (1...255).map { UInt8($0) }
        for i in 0..<count {
            let j = i + Int(rng.next(upperBound: UInt64(pool.count - i)))
            pool.swapAt(i, j)
        }
        return Array(pool.prefix(count))
    }

    static func fillRandom(_ bytes: inout [UInt8], using rng: inout some RandomNumberGenerator) {
        var index = 0
        while index < bytes.count {
            var word = rng.next()
            for _ in 0..<8 where index < bytes.count {
                bytes[index] = UInt8(truncatingIfNeeded: word)
                word >>= 8
                index += 1
            }
        }
    }

    static func zeroize(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBufferPointer { buffer in
            for i in buffer.indices { buffer[i] = 0 }
        }
    }
}
