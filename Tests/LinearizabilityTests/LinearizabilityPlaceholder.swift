import Testing
@testable import Linearizability

@Test func LinearizabilityModuleLinks() { #expect(Bool(true)) }
