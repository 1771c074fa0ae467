import Testing
@testable import Cluster

@Suite struct ClusterFrameCodecTests {
    let codec = ClusterFrameCodec(maximumFrameSize: 4096)

    @Test func roundTripsEveryKindSplitAtEveryByte() throws {
        let frames: [ClusterFrame] = [.hello(node("node-1"))] + ClusterMessage.Kind.allCases.enumerated().map {
            .message(ClusterMessage(kind: $1, correlationID: UInt64($0) << 40 | 7, payload: bytes("p\($0)")))
        } + [.message(ClusterMessage(kind: .raft, payload: []))]
        var stream: [UInt8] = []
        for frame in frames { stream += try codec.encode(frame) }
        for split in 0...stream.count {
            var decoder = ClusterFrameDecoder(codec: codec)
            var decoded: [ClusterFrame] = []
            decoder.feed(stream[..<split])
            while let frame = try decoder.next() { decoded.append(frame) }
            decoder.feed(stream[split...])
            while let frame = try decoder.next() { decoded.append(frame) }
            #expect(decoded == frames, "split at \(split)")
            #expect(decoder.bufferedByteCount == 0)
        }
    }

    @Test func wireLayoutIsLengthTypeCorrelationPayload() throws {
        let message = ClusterMessage(kind: .forwardRequest, correlationID: 258, payload: [9])
        let encoded = try codec.encode(.message(message))
        #expect(encoded == [0, 0, 0, 10, 2, 0, 0, 0, 0, 0, 0, 1, 2, 9])
    }

    @Test func oversizedLengthIsRejectedFromTheLengthPrefixAlone() throws {
        var decoder = ClusterFrameDecoder(codec: codec)
        decoder.feed([0x7F, 0xFF, 0xFF, 0xFF])  // 2 GiB announced, nothing else sent
        #expect(throws: ClusterFrameError.frameTooLarge(length: 0x7FFF_FFFF, maximum: 4096)) { try decoder.next() }
        // The decoder stays failed: the stream cannot be resynchronised.
        decoder.feed(try codec.encode(.hello(node("a"))))
        #expect(throws: ClusterFrameError.self) { try decoder.next() }
    }

    @Test func oversizedMessageIsRefusedAtEncode() {
        let big = ClusterMessage(kind: .snapshotChunk, payload: [UInt8](repeating: 1, count: 4096))
        #expect(throws: ClusterFrameError.frameTooLarge(length: 4096 + 9, maximum: 4096)) {
            try codec.encode(.message(big))
        }
    }

    @Test func lengthBelowHeaderUnknownTypeAndBadHelloAreErrors() {
        var short = ClusterFrameDecoder(codec: codec)
        short.feed([0, 0, 0, 3, 1, 2, 3])
        #expect(throws: ClusterFrameError.lengthBelowHeader(length: 3)) { try short.next() }

        var unknown = ClusterFrameDecoder(codec: codec)
        unknown.feed([0, 0, 0, 9, 42, 0, 0, 0, 0, 0, 0, 0, 0])
        #expect(throws: ClusterFrameError.unknownFrameType(42)) { try unknown.next() }

        var badHello = ClusterFrameDecoder(codec: codec)
        badHello.feed([0, 0, 0, 11, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x41, 0x2F])  // "A/" is not a node id
        #expect(throws: ClusterFrameError.malformedNodeID) { try badHello.next() }

        var badVersion = ClusterFrameDecoder(codec: codec)
        badVersion.feed([0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 0, 9, 0x61])
        #expect(throws: ClusterFrameError.unsupportedProtocolVersion(9)) { try badVersion.next() }
    }

    /// Random byte streams, and valid streams with random corruption, never trap the decoder: every outcome is a
    /// frame, "need more bytes" or a typed error, and buffered bytes stay below the frame limit plus one feed.
    @Test func fuzzNeverTrapsAndBoundsBuffering() throws {
        var generator = SplitMix64(seed: testSeed("fuzzNeverTrapsAndBoundsBuffering"))
        for round in 0..<2000 {
            var stream: [UInt8] = []
            if round % 2 == 0 {
                for _ in 0..<Int.random(in: 1...5, using: &generator) {
                    let kind = ClusterMessage.Kind.allCases.randomElement(using: &generator) ?? .raft
                    let payload = (0..<Int.random(in: 0...64, using: &generator)).map { _ in
                        UInt8.random(in: 0...255, using: &generator)
                    }
                    stream += try codec.encode(.message(ClusterMessage(
                        kind: kind, correlationID: generator.next(), payload: payload)))
                }
                for _ in 0..<Int.random(in: 0...3, using: &generator) where !stream.isEmpty {
                    stream[Int.random(in: 0..<stream.count, using: &generator)] = UInt8.random(
                        in: 0...255, using: &generator)
                }
            } else {
                stream = (0..<Int.random(in: 0...300, using: &generator)).map { _ in
                    UInt8.random(in: 0...255, using: &generator)
                }
            }
            var decoder = ClusterFrameDecoder(codec: codec)
            var offset = 0
            feeding: while offset < stream.count {
                let step = Int.random(in: 1...32, using: &generator)
                decoder.feed(stream[offset..<min(stream.count, offset + step)])
                offset += step
                do {
                    while let frame = try decoder.next() {
                        if case .message(let message) = frame {
                            #expect(message.payload.count <= codec.maximumPayloadSize)
                        }
                    }
                } catch {
                    break feeding
                }
                #expect(decoder.bufferedByteCount <= codec.maximumFrameSize + 4 + 32)
            }
        }
    }
}
