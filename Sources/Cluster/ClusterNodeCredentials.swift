import Crypto
import Foundation
import SwiftASN1
import X509

/// Everything one node needs to speak mutual TLS on the cluster port: its certificate, its private key, and the
/// set of CA certificates it trusts.
///
/// Trusting a *set* of roots is how CA rotation works: introduce the new CA into every node's trusted roots,
/// re-issue node certificates under it, then drop the old root. The private key is secret: callers keep the
/// exported bytes behind the barrier. An immutable value; `Sendable`.
public struct ClusterNodeCredentials: Sendable, Hashable {
    /// The node the certificate names.
    public let nodeID: ClusterNodeID
    /// The node's certificate, DER.
    public let certificateDER: [UInt8]
    /// The node's P-256 private key, PKCS#8 DER. Secret.
    public let privateKeyDER: [UInt8]
    /// The CA certificates (DER) a peer's certificate must chain to. Never empty.
    public let trustedRootsDER: [[UInt8]]

    /// Validates and assembles credentials.
    /// - Throws: when a certificate or the key is malformed, the key does not match the certificate, the
    ///   certificate does not name `nodeID`, or no root is given.
    public init(
        nodeID: ClusterNodeID,
        certificateDER: [UInt8],
        privateKeyDER: [UInt8],
        trustedRootsDER: [[UInt8]]
    ) throws(ClusterCertificateError) {
        let certificate = try ClusterCertificateAuthority.parseCertificate(der: certificateDER)
        let key: P256.Signing.PrivateKey
        do {
            key = try P256.Signing.PrivateKey(derRepresentation: privateKeyDER)
        } catch {
            throw .malformedPrivateKey
        }
        guard certificate.publicKey == Certificate.PublicKey(key.publicKey) else { throw .keyDoesNotMatchCertificate }
        guard Self.nodeIDs(in: certificate).contains(nodeID) else { throw .certificateDoesNotNameNode(nodeID) }
        guard !trustedRootsDER.isEmpty else { throw .noTrustedRoots }
        for root in trustedRootsDER {
            _ = try ClusterCertificateAuthority.parseCertificate(der: root)
        }
        self.nodeID = nodeID
        self.certificateDER = certificateDER
        self.privateKeyDER = privateKeyDER
        self.trustedRootsDER = trustedRootsDER
    }

    /// The same identity trusting exactly `rootsDER` (for CA rotation).
    public func trusting(_ rootsDER: [[UInt8]]) throws(ClusterCertificateError) -> ClusterNodeCredentials {
        try ClusterNodeCredentials(
            nodeID: nodeID,
            certificateDER: certificateDER,
            privateKeyDER: privateKeyDER,
            trustedRootsDER: rootsDER
        )
    }

    /// The same identity additionally trusting `authority` (the first step of a CA rotation).
    public func trusting(
        _ authority: ClusterCertificateAuthority
    ) throws(ClusterCertificateError) -> ClusterNodeCredentials {
        let root = authority.certificateDER
        return try trusting(trustedRootsDER.contains(root) ? trustedRootsDER : trustedRootsDER + [root])
    }

    /// Whether `certificateDER` was signed by one of the trusted roots and is valid at `now`.
    ///
    /// The TLS handshake performs the authoritative check (BoringSSL chain verification); this is the same rule
    /// for callers that hold certificate bytes outside a connection (join, rotation checks, tests).
    public func acceptsPeerCertificate(_ certificateDER: [UInt8], now: Date = Date()) -> Bool {
        guard let leaf = try? Certificate(derEncoded: certificateDER),
              leaf.notValidBefore <= now, now <= leaf.notValidAfter
        else { return false }
        for rootDER in trustedRootsDER {
            guard let root = try? Certificate(derEncoded: rootDER),
                  root.subject == leaf.issuer,
                  root.notValidBefore <= now, now <= root.notValidAfter
            else { continue }
            if root.publicKey.isValidSignature(leaf.signature, for: leaf) { return true }
        }
        return false
    }

    /// The node ids a certificate names (DNS or `coffer-node://` URI subject alternative names).
    /// Returns an empty set for bytes that are not a certificate.
    public static func nodeIDs(inCertificateDER der: [UInt8]) -> Set<ClusterNodeID> {
        guard let certificate = try? Certificate(derEncoded: der) else { return [] }
        return nodeIDs(in: certificate)
    }

    static func nodeIDs(in certificate: Certificate) -> Set<ClusterNodeID> {
        guard let names = try? certificate.extensions.subjectAlternativeNames else { return [] }
        var ids: Set<ClusterNodeID> = []
        let uriPrefix = "coffer-node://"
        for name in names {
            switch name {
            case .dnsName(let dns):
                if let id = ClusterNodeID(dns) { ids.insert(id) }
            case .uniformResourceIdentifier(let uri) where uri.hasPrefix(uriPrefix):
                if let id = ClusterNodeID(String(uri.dropFirst(uriPrefix.count))) { ids.insert(id) }
            default:
                continue
            }
        }
        return ids
    }
}

extension ClusterNodeCredentials: CustomStringConvertible, CustomDebugStringConvertible {
    /// Names the node and the number of roots; never prints key material.
    public var description: String {
        "ClusterNodeCredentials(node: \(nodeID), trustedRoots: \(trustedRootsDER.count))"
    }

    /// Same as `description`: key material stays out of `debugPrint` and `String(reflecting:)` too.
    public var debugDescription: String { description }
}
