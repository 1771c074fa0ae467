import Testing

@testable import Core

struct RandomBytesTests {
    @Test(arguments: [0, 1, 7, 8, 9, 16, 48, 1000])
    func answersExactlyTheBytesAskedFor(count: Int) {
        #expect(CoreEnvironment.systemRandomBytes(count).count == count)
    }

    @Test func drawsDifferAndUseEveryBytePosition() {
        let first = CoreEnvironment.systemRandomBytes(4096)
        let second = CoreEnvironment.systemRandomBytes(4096)
        #expect(first != second)
        // Every one of the eight positions within a draw carries entropy: a shift bug would leave one constant.
        for lane in 0..<8 {
            let values = Set(stride(from: lane, to: first.count, by: 8).map { first[$0] })
            #expect(values.count > 100, "byte lane \(lane) took only \(values.count) values")
        }
        // Roughly uniform: no byte value is more than four times as frequent as it should be (16 of 4096).
        var counts = [Int](repeating: 0, count: 256)
        for byte in first { counts[Int(byte)] += 1 }
        #expect(counts.max() ?? 0 < 64)
    }

    /// Response `request_id`s: go-uuid's shape (8-4-4-4-12 lowercase hex), fresh each time.
    @Test func systemUUIDsHaveTheShapeAndDiffer() {
        let ids = (0..<200).map { _ in CoreEnvironment.systemUUID() }
        for id in ids {
            let characters = Array(id)
            #expect(characters.count == 36)
            #expect([8, 13, 18, 23].allSatisfy { characters[$0] == "-" })
            #expect(characters.enumerated().allSatisfy { index, character in
                [8, 13, 18, 23].contains(index) || "0123456789abcdef".contains(character)
            })
        }
        #expect(Set(ids).count == ids.count)
    }
}
