import Testing
import TestSupport
@testable import Shamir

@Suite struct GF256Tests {
    @Test func multiplicationMatchesFIPS197Examples() {
        // FIPS-197 section 4.2: {57} * {83} = {c1}, {57} * {13} = {fe}.
        #expect(GF256.mul(0x57, 0x83) == 0xC1)
        #expect(GF256.mul(0x57, 0x13) == 0xFE)
        #expect(GF256.mul(0x00, 0xAB) == 0x00)
        #expect(GF256.mul(0x01, 0xAB) == 0xAB)
    }

    @Test func everyNonZeroElementHasAnInverse() {
        for a in 1...255 {
            let a = UInt8(a)
            #expect(GF256.mul(a, GF256.inverse(a)) == 1, "inverse of \(a)")
        }
    }

    @Test func multiplicationIsCommutativeAndDistributive() {
        for a in stride(from: 0, through: 255, by: 7) {
            for b in stride(from: 0, through: 255, by: 11) {
                let a = UInt8(a), b = UInt8(b), c: UInt8 = 0x9D
                #expect(GF256.mul(a, b) == GF256.mul(b, a))
                #expect(GF256.mul(a, b ^ c) == GF256.mul(a, b) ^ GF256.mul(a, c))
            }
        }
    }
}

@Suite struct ShamirTests {
    @Test func layoutIsYBytesThenTrailingX() throws {
        // f(x) = 0x42 + 0x07 x, evaluated by hand: f(1) = 0x45, f(2) = 0x42 ^ 0x0E = 0x4C.
        #expect(try Shamir.combine([[0x45, 0x01], [0x4C, 0x02]]) == [0x42])
        #expect(try Shamir.combine([[0x4C, 0x02], [0x45, 0x01]]) == [0x42])
    }

    @Test func splitProducesVaultShapedShares() throws {
        var rng = SeededGenerator.forTest("splitProducesVaultShapedShares")
        let secret = rng.bytes(32)
        let shares = try Shamir.split(secret: secret, shares: 7, threshold: 4, using: &rng)
        #expect(shares.count == 7)
        #expect(shares.allSatisfy { $0.count == 33 })
        let xs = shares.map { $0[32] }
        #expect(!xs.contains(0))
        #expect(Set(xs).count == 7)
    }

    @Test func everyThresholdSubsetRecoversTheSecret() throws {
        var rng = SeededGenerator.forTest("everyThresholdSubsetRecoversTheSecret")
        for shareCount in 2...7 {
            for threshold in 2...shareCount {
                let secret = rng.bytes(Int.random(in: 1...40, using: &rng))
                let shares = try Shamir.split(
                    secret: secret, shares: shareCount, threshold: threshold, using: &rng)
                for subset in subsets(of: Array(shares.indices), size: threshold) {
                    var chosen = subset.map { shares[$0] }
                    chosen.shuffle(using: &rng)
                    #expect(try Shamir.combine(chosen) == secret, "n=\(shareCount) t=\(threshold) \(subset)")
                }
                // More than the threshold also recovers it.
                #expect(try Shamir.combine(shares) == secret)
            }
        }
    }

    @Test func largeSplitRecoversFromRandomSubsets() throws {
        var rng = SeededGenerator.forTest("largeSplitRecoversFromRandomSubsets")
        let secret = rng.bytes(64)
        let shares = try Shamir.split(secret: secret, shares: 255, threshold: 100, using: &rng)
        #expect(Set(shares.map { $0[64] }).count == 255)
        for _ in 0..<5 {
            let chosen = Array(shares.shuffled(using: &rng).prefix(100))
            #expect(try Shamir.combine(chosen) == secret)
        }
    }

    @Test func fewerThanThresholdSharesDoNotRevealTheSecret() throws {
        var rng = SeededGenerator.forTest("fewerThanThresholdSharesDoNotRevealTheSecret")
        for _ in 0..<300 {
            let secret = rng.bytes(32)
            let threshold = Int.random(in: 3...6, using: &rng)
            let shares = try Shamir.split(secret: secret, shares: 6, threshold: threshold, using: &rng)
            let chosen = Array(shares.shuffled(using: &rng).prefix(threshold - 1))
            // 32 random bytes equal the secret with probability 2^-256.
            #expect(try Shamir.combine(chosen) != secret)
        }
    }

    @Test func sameSecretSplitsDifferentlyEachTime() throws {
        let secret = [UInt8](repeating: 0xAA, count: 16)
        let first = try Shamir.split(secret: secret, shares: 5, threshold: 3)
        let second = try Shamir.split(secret: secret, shares: 5, threshold: 3)
        #expect(first != second)
        #expect(try Shamir.combine(first) == secret)
        #expect(try Shamir.combine(second) == secret)
    }

    @Test func xCoordinatesAreRandom() throws {
        var rng = SeededGenerator.forTest("xCoordinatesAreRandom")
        var used = Set<UInt8>()
        for _ in 0..<100 {
            let shares = try Shamir.split(secret: [1, 2, 3], shares: 5, threshold: 2, using: &rng)
            used.formUnion(shares.map { $0[3] })
        }
        // Sequential x (1...5) would give 5 values; 500 random draws cover far more.
        #expect(used.count > 200)
        #expect(!used.contains(0))
    }

    @Test func systemGeneratorSplitRoundTrips() throws {
        let secret = (0..<32).map { UInt8($0) }
        let shares = try Shamir.split(secret: secret, shares: 5, threshold: 3)
        #expect(try Shamir.combine(Array(shares[1...3])) == secret)
    }

    @Test(arguments: [
        (1, 1), (1, 2), (256, 2), (0, 0), (5, 1), (5, 6), (5, 0), (-1, 2),
    ])
    func invalidParametersAreRejected(shares: Int, threshold: Int) {
        var rng = SeededGenerator(seed: 1)
        #expect(throws: ShamirError.self) {
            try Shamir.split(secret: [1, 2, 3], shares: shares, threshold: threshold, using: &rng)
        }
    }

    @Test func emptySecretIsRejected() {
        #expect(throws: ShamirError.invalidParameters("the secret must not be empty")) {
            try Shamir.split(secret: [], shares: 3, threshold: 2)
        }
    }

    @Test func boundaryParametersAreAccepted() throws {
        var rng = SeededGenerator(seed: 2)
        let two = try Shamir.split(secret: [9], shares: 2, threshold: 2, using: &rng)
        #expect(try Shamir.combine(two) == [9])
        let full = try Shamir.split(secret: [9, 8], shares: 255, threshold: 255, using: &rng)
        #expect(try Shamir.combine(full) == [9, 8])
    }

    @Test func combineRejectsMalformedShares() throws {
        let shares = try Shamir.split(secret: [1, 2, 3, 4], shares: 3, threshold: 2)
        #expect(throws: ShamirError.tooFewShares(count: 0)) { try Shamir.combine([]) }
        #expect(throws: ShamirError.tooFewShares(count: 1)) { try Shamir.combine([shares[0]]) }
        #expect(throws: ShamirError.duplicateX(shares[0][4])) { try Shamir.combine([shares[0], shares[0]]) }
        #expect(throws: ShamirError.mismatchedLengths) {
            try Shamir.combine([shares[0], Array(shares[1].dropFirst())])
        }
        #expect(throws: ShamirError.shareTooShort(length: 1)) { try Shamir.combine([[7], [8]]) }
        #expect(throws: ShamirError.shareTooShort(length: 0)) { try Shamir.combine([[], []]) }
        #expect(throws: ShamirError.shareTooShort(length: 1)) { try Shamir.combine([shares[0], [1]]) }
        var zeroX = shares[1]
        zeroX[4] = 0
        #expect(throws: ShamirError.zeroX) { try Shamir.combine([shares[0], zeroX]) }
        var sameX = shares[1]
        sameX[4] = shares[2][4]
        #expect(throws: ShamirError.duplicateX(shares[2][4])) { try Shamir.combine([sameX, shares[2]]) }
    }

    @Test func combineNeverTrapsOnRandomInput() {
        var rng = SeededGenerator.forTest("combineNeverTrapsOnRandomInput")
        var accepted = 0
        for _ in 0..<2000 {
            let count = Int.random(in: 0...6, using: &rng)
            let length = Int.random(in: 0...5, using: &rng)
            let input = (0..<count).map { _ in rng.bytes(length + Int.random(in: 0...1, using: &rng)) }
            if let secret = try? Shamir.combine(input) {
                accepted += 1
                #expect(secret.count == input[0].count - 1)
            }
        }
        #expect(accepted > 0)
    }

    @Test func errorsDescribeThemselves() {
        #expect(ShamirError.duplicateX(7).description.contains("7"))
        #expect(ShamirError.zeroX.description.contains("x coordinate 0"))
    }
}

/// All `size`-element subsets of `items`, in lexicographic order.
func subsets<T>(of items: [T], size: Int) -> [[T]] {
    if size == 0 { return [[]] }
    guard items.count >= size else { return [] }
    let head = items[0]
    let tail = Array(items.dropFirst())
    return subsets(of: tail, size: size - 1).map { [head] + $0 } + subsets(of: tail, size: size)
}
