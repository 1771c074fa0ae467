import Testing
@testable import Raft

@Test func RaftModuleLinks() { #expect(Bool(true)) }
