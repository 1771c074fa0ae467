import Testing
@testable import Shamir

@Test func ShamirModuleLinks() { #expect(Bool(true)) }
