import Testing

@testable import HA

/// `RaftRuntime.mentions`: how the loop learns that an applied command touched member records, the cluster CA
/// or a restore commit, so it tells the observers.
@Suite struct CommandScanTests {
    let markers = ["raft/members/", "core/cluster/tls-ca"].map { Array($0.utf8) }

    func scan(_ text: String) -> Bool {
        RaftRuntime.mentions(Array(text.utf8), anyOf: markers)
    }

    @Test func findsAMarkerAnywhereAndNothingElse() {
        #expect(scan("raft/members/node-2"))
        #expect(scan("\u{1}\u{0}xx core/cluster/tls-ca"))
        #expect(scan("put sys/x then raft/members/"))
        #expect(!scan(""))
        #expect(!scan("raft/members"), "a marker cut short at the end")
        #expect(!scan("raft/member/node-2 core/cluster/tls"))
        #expect(!RaftRuntime.mentions(Array("anything".utf8), anyOf: []))
        #expect(!RaftRuntime.mentions([], anyOf: [[]]))
    }

    @Test func agreesWithANaiveSearchOnRandomCommands() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("raft/membesco-lu:\u{0}".utf8)
        for _ in 0..<2_000 {
            let bytes = (0..<Int.random(in: 0...80, using: &generator)).map { _ in
                alphabet.randomElement(using: &generator)!
            }
            let naive = markers.contains { marker in
                bytes.count >= marker.count
                    && (0...(bytes.count - marker.count)).contains { Array(bytes[$0..<($0 + marker.count)]) == marker }
            }
            #expect(RaftRuntime.mentions(bytes, anyOf: markers) == naive)
        }
    }
}
