import Testing
@testable import HCL

@Test func HCLModuleLinks() { #expect(Bool(true)) }
