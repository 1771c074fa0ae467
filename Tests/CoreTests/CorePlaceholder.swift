import Testing
@testable import Core

@Test func CoreModuleLinks() { #expect(Bool(true)) }
