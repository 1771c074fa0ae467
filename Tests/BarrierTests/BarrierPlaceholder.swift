import Testing
@testable import Barrier

@Test func BarrierModuleLinks() { #expect(Bool(true)) }
