import NIOSSL

extension ClusterNodeCredentials {
    /// A TLS 1.3 context that presents this node's certificate and requires the peer's certificate to chain to
    /// one of `trustedRootsDER`. Host names are not checked: the node-id handshake binds the peer's claimed id
    /// to the names in its certificate instead.
    func makeSSLContext(forServer isServer: Bool) throws(ClusterCertificateError) -> NIOSSLContext {
        do {
            let certificate = try NIOSSLCertificate(bytes: certificateDER, format: .der)
            let key = try NIOSSLPrivateKey(bytes: privateKeyDER, format: .der)
            let roots = try trustedRootsDER.map { try NIOSSLCertificate(bytes: $0, format: .der) }
            var configuration: TLSConfiguration
            if isServer {
                configuration = TLSConfiguration.makeServerConfigurationWithMTLS(
                    certificateChain: [.certificate(certificate)],
                    privateKey: .privateKey(key),
                    trustRoots: .certificates(roots)
                )
            } else {
                configuration = TLSConfiguration.makeClientConfiguration()
                configuration.certificateChain = [.certificate(certificate)]
                configuration.privateKey = .privateKey(key)
                configuration.trustRoots = .certificates(roots)
            }
            configuration.certificateVerification = .noHostnameVerification
            configuration.minimumTLSVersion = .tlsv13
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw .tlsConfigurationFailed(String(describing: type(of: error)))
        }
    }
}
