import Foundation
import Testing
import TestSupport

@testable import API

@Suite struct ForwardedHTTPTests {
    @Test func requestsAndResponsesRoundTrip() {
        let request = ForwardedHTTPRequest(
            method: "LIST", target: "/v1/secret/metadata/?list=true&x=%20y",
            headers: [("X-Vault-Token", "s.abc"), ("X-Vault-Wrap-TTL", "60s"), ("X-Custom", "a=b")],
            body: Array("{\"k\":\"v\"}".utf8), remoteAddress: "10.1.2.3")
        #expect(ForwardedHTTPRequest.decode(request.encoded()) == request)
        #expect(ForwardedHTTPRequest.decode(request.encoded())?.header("x-vault-token") == "s.abc")
        let response = ForwardedHTTPResponse(
            status: 204, headers: [("Cache-Control", "no-store")], body: [])
        #expect(ForwardedHTTPResponse.decode(response.encoded()) == response)
    }

    @Test func base64MatchesFoundationBothWays() {
        var generator = SeededGenerator.forTest("ForwardedHTTPTests.base64")
        for length in 0..<200 {
            let bytes = generator.bytes(length)
            let ours = Base64.encode(bytes)
            #expect(ours == Data(bytes).base64EncodedString())
            #expect(Base64.decode(ours) == bytes)
        }
        for bad in ["a", "ab=c", "====", "ab!d", "abc=d==="] {
            #expect(Base64.decode(bad) == nil, "\(bad)")
        }
    }

    @Test func malformedPayloadsAreRefusedNotTrapped() {
        var generator = SeededGenerator.forTest("ForwardedHTTPTests.fuzz")
        let valid = ForwardedHTTPRequest(
            method: "GET", target: "/v1/sys/health", headers: [("A", "b")], body: [1, 2], remoteAddress: nil
        ).encoded()
        for _ in 0..<5000 {
            var bytes = valid
            for _ in 0..<(1 + Int(generator.next() % 4)) {
                bytes[Int(generator.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: generator.next())
            }
            _ = ForwardedHTTPRequest.decode(bytes)
            _ = ForwardedHTTPResponse.decode(bytes)
        }
        #expect(ForwardedHTTPResponse.decode(Array(#"{"status":999,"headers":[],"body":""}"#.utf8)) == nil)
        #expect(ForwardedHTTPRequest.decode(Array(#"{"method":"GET","target":"/","headers":[["a"]],"body":""}"#.utf8)) == nil)
    }
}
