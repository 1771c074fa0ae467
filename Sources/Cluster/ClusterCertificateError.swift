/// Why cluster certificate material could not be generated, imported or used.
public enum ClusterCertificateError: Error, Hashable, Sendable {
    /// The bytes are not a certificate or key in the expected encoding (the parser's reason is not kept: it may
    /// quote key material).
    case malformedCertificate
    /// The bytes are not a P-256 private key in the expected encoding.
    case malformedPrivateKey
    /// The private key does not belong to the certificate's public key.
    case keyDoesNotMatchCertificate
    /// The certificate does not name the node it is presented for.
    case certificateDoesNotNameNode(ClusterNodeID)
    /// The certificate is not a CA certificate (basic constraints).
    case notACertificateAuthority
    /// Signing or encoding a certificate failed.
    case issuanceFailed(String)
    /// TLS configuration could not be built from the credentials.
    case tlsConfigurationFailed(String)
    /// No trusted root is configured: the node would accept no peer.
    case noTrustedRoots
}
