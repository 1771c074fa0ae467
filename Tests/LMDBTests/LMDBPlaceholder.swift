import Testing
@testable import LMDB

@Test func LMDBModuleLinks() { #expect(Bool(true)) }
