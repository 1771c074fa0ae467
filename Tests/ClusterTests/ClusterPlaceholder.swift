import Testing
@testable import Cluster

@Test func clusterModuleLinks() { #expect(Bool(true)) }
