import Crypto
import Foundation
import SwiftASN1
import X509

/// The cluster's own certificate authority: an ECDSA P-256 key and a self-signed CA certificate.
///
/// The cluster generates it at `operator init` and keeps it behind the barrier: this type only produces and
/// consumes bytes (`certificateDER`/`PEM`, `privateKeyDER`/`PEM`); where they are stored is the caller's business.
/// Each CA gets a unique subject (a random generation tag), so a rotated CA and its predecessor can be trusted
/// side by side without ambiguity in chain building.
///
/// A value type holding an immutable key; `Sendable`.
public struct ClusterCertificateAuthority: Sendable {
    /// The self-signed CA certificate.
    public let certificate: Certificate
    /// The CA certificate, DER. Public: every node trusts it.
    public let certificateDER: [UInt8]
    /// The CA certificate, PEM.
    public let certificatePEM: String
    private let privateKey: P256.Signing.PrivateKey

    /// Generates a new CA valid from `now` (minus five minutes of clock-skew allowance) for `validity` seconds.
    public static func generate(
        commonName: String = "Coffer cluster CA",
        validity: TimeInterval = 10 * 365 * 24 * 3600,
        now: Date = Date()
    ) throws(ClusterCertificateError) -> ClusterCertificateAuthority {
        let key = P256.Signing.PrivateKey()
        let publicKey = Certificate.PublicKey(key.publicKey)
        let generation = (0..<8).map { _ in String(UInt8.random(in: 0...255), radix: 16) }.joined()
        do {
            let name = try DistinguishedName {
                OrganizationName("Coffer")
                CommonName("\(commonName) \(generation)")
            }
            let certificate = try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: publicKey,
                notValidBefore: now.addingTimeInterval(-300),
                notValidAfter: now.addingTimeInterval(validity),
                issuer: name,
                subject: name,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                    Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                    SubjectKeyIdentifier(hash: publicKey)
                },
                issuerPrivateKey: Certificate.PrivateKey(key)
            )
            return try ClusterCertificateAuthority(certificate: certificate, privateKey: key)
        } catch {
            throw .issuanceFailed("CA certificate: \(type(of: error))")
        }
    }

    private init(certificate: Certificate, privateKey: P256.Signing.PrivateKey) throws(ClusterCertificateError) {
        self.certificate = certificate
        self.privateKey = privateKey
        do {
            self.certificateDER = try Self.derBytes(of: certificate)
            self.certificatePEM = try certificate.serializeAsPEM().pemString
        } catch {
            throw .malformedCertificate
        }
    }

    /// Imports a CA from DER bytes previously exported with `certificateDER` and `privateKeyDER`.
    /// - Throws: when either is malformed, the certificate is not a CA, or the key does not match it.
    public init(certificateDER: [UInt8], privateKeyDER: [UInt8]) throws(ClusterCertificateError) {
        let certificate = try Self.parseCertificate(der: certificateDER)
        let key: P256.Signing.PrivateKey
        do {
            key = try P256.Signing.PrivateKey(derRepresentation: privateKeyDER)
        } catch {
            throw .malformedPrivateKey
        }
        try self.init(certificate: certificate, checkedKey: key)
    }

    /// Imports a CA from PEM text previously exported with `certificatePEM` and `privateKeyPEM`.
    public init(certificatePEM: String, privateKeyPEM: String) throws(ClusterCertificateError) {
        let certificate: Certificate
        do {
            certificate = try Certificate(pemEncoded: certificatePEM)
        } catch {
            throw .malformedCertificate
        }
        let key: P256.Signing.PrivateKey
        do {
            key = try P256.Signing.PrivateKey(pemRepresentation: privateKeyPEM)
        } catch {
            throw .malformedPrivateKey
        }
        try self.init(certificate: certificate, checkedKey: key)
    }

    private init(certificate: Certificate, checkedKey key: P256.Signing.PrivateKey) throws(ClusterCertificateError) {
        guard certificate.publicKey == Certificate.PublicKey(key.publicKey) else {
            throw .keyDoesNotMatchCertificate
        }
        let constraints: BasicConstraints?
        do {
            constraints = try certificate.extensions.basicConstraints
        } catch {
            throw .malformedCertificate
        }
        guard case .isCertificateAuthority = constraints else { throw .notACertificateAuthority }
        try self.init(certificate: certificate, privateKey: key)
    }

    /// The CA private key, PKCS#8 DER. Secret: store it only behind the barrier.
    public var privateKeyDER: [UInt8] { Array(privateKey.derRepresentation) }

    /// The CA private key, PKCS#8 PEM. Secret: store it only behind the barrier.
    public var privateKeyPEM: String { privateKey.pemRepresentation }

    /// Issues a certificate and fresh P-256 key for `node`, usable for both TLS server and client authentication.
    ///
    /// Subject alternative names: DNS `<node>`, URI `coffer-node://<node>`, IP `127.0.0.1`. The returned
    /// credentials trust this CA only; add further roots with `ClusterNodeCredentials.trusting(_:)` during rotation.
    public func issueCredentials(
        for node: ClusterNodeID,
        validity: TimeInterval = 365 * 24 * 3600,
        now: Date = Date()
    ) throws(ClusterCertificateError) -> ClusterNodeCredentials {
        let key = P256.Signing.PrivateKey()
        let publicKey = Certificate.PublicKey(key.publicKey)
        do {
            let subject = try DistinguishedName {
                OrganizationName("Coffer")
                CommonName(node.rawValue)
            }
            let authorityKeyID = try certificate.extensions.subjectKeyIdentifier?.keyIdentifier
            let leaf = try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: publicKey,
                notValidBefore: now.addingTimeInterval(-300),
                notValidAfter: min(now.addingTimeInterval(validity), certificate.notValidAfter),
                issuer: certificate.subject,
                subject: subject,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(KeyUsage(digitalSignature: true))
                    try ExtendedKeyUsage([.serverAuth, .clientAuth])
                    SubjectAlternativeNames([
                        .dnsName(node.rawValue),
                        .uniformResourceIdentifier(node.certificateURI),
                        .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])),
                    ])
                    SubjectKeyIdentifier(hash: publicKey)
                    if let authorityKeyID {
                        AuthorityKeyIdentifier(keyIdentifier: authorityKeyID)
                    }
                },
                issuerPrivateKey: Certificate.PrivateKey(privateKey)
            )
            return try ClusterNodeCredentials(
                nodeID: node,
                certificateDER: Self.derBytes(of: leaf),
                privateKeyDER: Array(key.derRepresentation),
                trustedRootsDER: [certificateDER]
            )
        } catch let error as ClusterCertificateError {
            throw error
        } catch {
            throw .issuanceFailed("node certificate: \(type(of: error))")
        }
    }

    static func parseCertificate(der: [UInt8]) throws(ClusterCertificateError) -> Certificate {
        do {
            return try Certificate(derEncoded: der)
        } catch {
            throw .malformedCertificate
        }
    }

    static func derBytes(of certificate: Certificate) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return serializer.serializedBytes
    }
}
