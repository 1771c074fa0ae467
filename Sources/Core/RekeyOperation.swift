/// A rekey in progress: new share parameters, and the current shares collected to
/// prove a quorum of key holders agrees. In memory only.
struct RekeyOperation: Sendable {
    let nonce: String
    let newConfig: SealConfig
    var progress: UnsealProgress
    /// Started through the authenticated `sys/rotate/root/init` rather than the legacy
    /// unauthenticated `sys/rekey/init`; each API sees only its own operation.
    let authenticated: Bool
}
