import Testing
@testable import Engines

@Test func enginesModuleLinks() { #expect(Bool(true)) }
