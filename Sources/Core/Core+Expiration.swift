import Foundation

/// The expiration manager: revokes tokens whose TTL has passed, in expiry order, from
/// an index kept with the tokens, so it picks up where it left off after a restart.
/// Expired tokens are already refused on lookup; this removes them, their children and
/// their cubbyholes.
extension CofferCore {
    /// Revokes up to `limit` expired tokens; answers how many. Called periodically by
    /// the server, and directly by tests with a controlled clock.
    @discardableResult
    public func revokeExpired(limit: Int = 1000) async -> Int {
        guard case .active(let node) = state else { return 0 }
        let hashes: [String]
        do {
            hashes = try await node.tokens.expired(before: environment.now(), limit: limit)
        } catch {
            logger.error("expiration: could not read the expiry index", metadata: ["error": "\(type(of: error))"])
            return 0
        }
        var revoked = 0
        for hash in hashes {
            do {
                try await revoke(hash: hash, orphan: false, node: node)
                revoked += 1
            } catch {
                logger.error("expiration: could not revoke an expired token", metadata: ["error": "\(error)"])
            }
        }
        if revoked > 0 { logger.debug("expiration: revoked expired tokens", metadata: ["count": "\(revoked)"]) }
        return revoked
    }
}
