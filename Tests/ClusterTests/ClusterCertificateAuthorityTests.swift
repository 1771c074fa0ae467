import Foundation
import Testing
@testable import Cluster

@Suite struct ClusterCertificateAuthorityTests {
    @Test func issuedCertificateNamesTheNodeAndChainsToItsCA() throws {
        let pki = try TestPKI()
        let credentials = try pki.credentials("node-1")
        #expect(ClusterNodeCredentials.nodeIDs(inCertificateDER: credentials.certificateDER) == [node("node-1")])
        #expect(credentials.trustedRootsDER == [pki.authority.certificateDER])
        #expect(credentials.acceptsPeerCertificate(try pki.credentials("node-2").certificateDER))
        #expect(!credentials.description.contains("PRIVATE"))
        #expect(String(reflecting: credentials) == credentials.description)
    }

    @Test func certificateFromAnotherCAIsNotAccepted() throws {
        let ours = try TestPKI()
        let theirs = try TestPKI()
        let credentials = try ours.credentials("node-1")
        #expect(!credentials.acceptsPeerCertificate(try theirs.credentials("node-2").certificateDER))
        #expect(!credentials.acceptsPeerCertificate(bytes("not a certificate")))
    }

    @Test func expiredCertificateIsNotAccepted() throws {
        let pki = try TestPKI()
        let old = try pki.authority.issueCredentials(
            for: node("node-2"), validity: 60, now: Date().addingTimeInterval(-3600))
        #expect(!(try pki.credentials("node-1")).acceptsPeerCertificate(old.certificateDER))
    }

    @Test func exportsAndImportsDERAndPEM() throws {
        let authority = try ClusterCertificateAuthority.generate()
        let fromDER = try ClusterCertificateAuthority(
            certificateDER: authority.certificateDER, privateKeyDER: authority.privateKeyDER)
        let fromPEM = try ClusterCertificateAuthority(
            certificatePEM: authority.certificatePEM, privateKeyPEM: authority.privateKeyPEM)
        #expect(fromDER.certificateDER == authority.certificateDER)
        #expect(fromPEM.certificateDER == authority.certificateDER)
        #expect(authority.certificatePEM.hasPrefix("-----BEGIN CERTIFICATE-----"))
        // A certificate issued by the re-imported CA is trusted by credentials of the original.
        let issued = try fromPEM.issueCredentials(for: node("node-9"))
        #expect(try TestPKI().authority.certificateDER != authority.certificateDER)
        let original = try authority.issueCredentials(for: node("node-1"))
        #expect(original.acceptsPeerCertificate(issued.certificateDER))
    }

    @Test func importRejectsMismatchedKeyGarbageAndLeafCertificates() throws {
        let a = try ClusterCertificateAuthority.generate()
        let b = try ClusterCertificateAuthority.generate()
        #expect(throws: ClusterCertificateError.keyDoesNotMatchCertificate) {
            try ClusterCertificateAuthority(certificateDER: a.certificateDER, privateKeyDER: b.privateKeyDER)
        }
        #expect(throws: ClusterCertificateError.malformedCertificate) {
            try ClusterCertificateAuthority(certificateDER: [1, 2, 3], privateKeyDER: a.privateKeyDER)
        }
        let leaf = try a.issueCredentials(for: node("node-1"))
        #expect(throws: ClusterCertificateError.notACertificateAuthority) {
            try ClusterCertificateAuthority(certificateDER: leaf.certificateDER, privateKeyDER: leaf.privateKeyDER)
        }
        #expect(throws: ClusterCertificateError.self) {
            try ClusterNodeCredentials(
                nodeID: node("node-2"), certificateDER: leaf.certificateDER,
                privateKeyDER: leaf.privateKeyDER, trustedRootsDER: leaf.trustedRootsDER)
        }
        #expect(throws: ClusterCertificateError.noTrustedRoots) { try leaf.trusting([]) }
    }

    @Test func rotationTrustsOldAndNewRootsSideBySide() throws {
        let old = try ClusterCertificateAuthority.generate()
        let new = try ClusterCertificateAuthority.generate()
        let onOld = try old.issueCredentials(for: node("node-1"))
        let onNew = try new.issueCredentials(for: node("node-2"))
        #expect(!onOld.acceptsPeerCertificate(onNew.certificateDER))
        let bridging = try onOld.trusting(new)
        #expect(bridging.trustedRootsDER.count == 2)
        #expect(bridging.acceptsPeerCertificate(onNew.certificateDER))
        #expect(bridging.acceptsPeerCertificate(onOld.certificateDER))
        let retired = try bridging.trusting([new.certificateDER])
        #expect(!retired.acceptsPeerCertificate(onOld.certificateDER))
    }

    @Test func nodeIDsAreDNSLabels() {
        #expect(ClusterNodeID("node-1") != nil)
        #expect(ClusterNodeID("") == nil)
        #expect(ClusterNodeID("-a") == nil)
        #expect(ClusterNodeID("Node") == nil)
        #expect(ClusterNodeID("a.b") == nil)
        #expect(ClusterNodeID(String(repeating: "a", count: 64)) == nil)
    }
}
