import Foundation
import Testing

@testable import AppRole

/// Durations, CIDR blocks, times and metadata as OpenBao reads and writes them.
@Suite struct ParsingTests {
    @Test func goDurations() throws {
        #expect(try GoDuration.seconds(from: "90") == 90)
        #expect(try GoDuration.seconds(from: "60s") == 60)
        #expect(try GoDuration.seconds(from: "1h30m") == 5400)
        #expect(try GoDuration.seconds(from: "1.5h") == 5400)
        #expect(try GoDuration.seconds(from: "1500ms") == 1)
        #expect(try GoDuration.seconds(from: "") == 0)
        #expect(throws: GoDuration.ParseError(message: "time: invalid duration \"abc\"")) {
            try GoDuration.seconds(from: "abc")
        }
        #expect(throws: GoDuration.ParseError(message: "time: missing unit in duration \"1.5\"")) {
            try GoDuration.seconds(from: "1.5")
        }
        #expect(throws: GoDuration.ParseError(message: "time: unknown unit \"x\" in duration \"5x\"")) {
            try GoDuration.seconds(from: "5x")
        }
        #expect(GoDuration.string(seconds: 2_764_800) == "768h0m0s")
        #expect(GoDuration.string(seconds: 90) == "1m30s")
    }

    @Test func cidrBlocks() throws {
        let block = try #require(CIDRBlock("10.1.2.3/8"))
        #expect(block.network == [10, 0, 0, 0])
        #expect(block.contains([10, 255, 0, 1]))
        #expect(!block.contains([11, 0, 0, 1]))
        #expect(block.contains(try #require(CIDRBlock("10.9.0.0/16"))))
        #expect(!(try #require(CIDRBlock("10.9.0.0/16"))).contains(block))
        #expect(CIDRBlock("bad") == nil)
        #expect(CIDRBlock("10.0.0.0/33") == nil)
        #expect(CIDRBlock("10.0.0.0") == nil)
        #expect(CIDRBlock("010.0.0.0/8") == nil)
        let v6 = try #require(CIDRBlock("2001:db8::/32"))
        #expect(v6.contains(try #require(IPAddress.bytes("2001:db8:1::1"))))
        #expect(!v6.contains(try #require(IPAddress.bytes("2001:db9::1"))))
        #expect(IPAddress.bytes("::1") == [UInt8](repeating: 0, count: 15) + [1])
        #expect(IPAddress.bytes("::ffff:10.0.0.1").map(IPAddress.unmapped) == [10, 0, 0, 1])
        #expect(IPAddress.bytes("1::2::3") == nil)
        #expect(CIDRList.admits("::ffff:10.0.0.1", ["10.0.0.0/8"]))
    }

    @Test func goTimes() {
        #expect(GoTime.string(nil) == "0001-01-01T00:00:00Z")
        #expect(GoTime.string(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
        #expect(GoTime.string(Date(timeIntervalSince1970: 1_800_000_000.5)) == "2027-01-15T08:00:00.5Z")
        #expect(GoTime.string(Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29T00:00:00Z")
    }

    @Test func secretIDMetadata() throws {
        #expect(try SecretIDMetadata.parse("") == [:])
        #expect(try SecretIDMetadata.parse("{\"a\":\"b\"}") == ["a": "b"])
        #expect(try SecretIDMetadata.parse("a=b, c = d") == ["a": "b", "c": "d"])
        #expect(try SecretIDMetadata.parse(Data("{\"x\":\"y\"}".utf8).base64EncodedString()) == ["x": "y"])
        #expect(throws: SecretIDMetadata.ParseError.self) { try SecretIDMetadata.parse("notjson") }
        #expect(throws: SecretIDMetadata.ParseError.self) { try SecretIDMetadata.parse("{\"a\":1}") }
    }
}
