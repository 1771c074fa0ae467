import Testing
@testable import AppRole

@Test func appRoleModuleLinks() { #expect(Bool(true)) }
