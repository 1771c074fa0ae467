import Testing
@testable import Policy

@Test func PolicyModuleLinks() { #expect(Bool(true)) }
