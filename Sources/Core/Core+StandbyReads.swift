import Foundation
import Storage

/// What a standby built from its own storage to serve reads: the tables an active node keeps, valid while
/// the cluster's `cachedStateGeneration` stays at `generation`.
struct StandbyTables: Sendable {
    var generation: UInt64
    var node: ActiveNode
    /// False while reads must be forwarded: an audit device is enabled (in the replicated table or on this
    /// node), so that the active node's devices record each read; or the cluster is a DR secondary (or a
    /// demoted primary), whose active node refuses client requests.
    var servesReads: Bool
}

/// Reads a standby answers itself instead of forwarding them.
///
/// A standby holds the same state machine as the active node, so a read served from it is linearizable once
/// the node has applied everything the active node had committed when it was asked (`standbyReadBarrier()`, a
/// read-index round). What the active node keeps in memory (mount tables, keyring, policies) the standby
/// builds from storage and rebuilds whenever a write touched it (`cachedStateGeneration`).
///
/// The standby cannot write: the request runs in a `ReadOnlyScope`, and if anything in it tries to write
/// (a token's last use, a lease) the answer is dropped and the request forwarded, as it is when the tables
/// changed while it ran, when the answer is a 5xx, or when the active node cannot confirm the read index.
extension CofferCore {
    /// Whether a standby may try `request` itself: reads and lists outside `sys/` that ask for no wrapping.
    static func standbyMayServe(_ request: Request) -> Bool {
        switch request.operation {
        case .read, .list: break
        default: return false
        }
        return request.wrapTTL == nil && !request.path.hasPrefix("sys/") && request.path != "sys"
    }

    /// Answers `request` on this standby, or throws `.standby` to have it forwarded.
    func serveOnStandby(_ request: Request) async throws(CoreError) -> Response {
        guard let ha, options.standbyReads, Self.standbyMayServe(request) else { throw CoreError.standby }
        let scope = ReadOnlyScope()
        let attempt = await ReadOnlyScope.$current.withValue(scope) { await attemptOnStandby(request, ha: ha) }
        guard let attempt, !scope.triedToWrite, ha.cachedStateGeneration == attempt.generation else {
            standbyReadCounts.forwarded += 1
            throw CoreError.standby
        }
        if case .failure(let error) = attempt.outcome, error == .standby || error.wire.status >= 500 {
            standbyReadCounts.forwarded += 1
            throw CoreError.standby
        }
        standbyReadCounts.served += 1
        return try attempt.outcome.get()
    }

    /// Runs `request` against this standby's tables once a read is linearizable; nil when it cannot.
    private func attemptOnStandby(
        _ request: Request, ha: any HighAvailability
    ) async -> (generation: UInt64, outcome: Result<Response, CoreError>)? {
        guard let generation = try? await ha.standbyReadBarrier(),
            let node = await standbyTables(generation: generation)
        else { return nil }
        do {
            return (generation, .success(try await handleLogical(request, node: node)))
        } catch {
            return (generation, .failure(error))
        }
    }

    /// The tables for `generation`, built now if those held are older; nil when reads must be forwarded (see
    /// `StandbyTables.servesReads`, or the tables cannot be built).
    private func standbyTables(generation: UInt64) async -> ActiveNode? {
        if let tables = standbyTables, tables.generation == generation {
            return tables.servesReads ? tables.node : nil
        }
        do {
            try await barrier.reloadKeyring()
            let node = try await loadActiveNode()
            var servesReads = await ha?.answersClientRequests() ?? false
            if servesReads, await auditBroker?.hasDevices() == true { servesReads = false }
            if servesReads, let bytes = try await barrier.get(Self.auditStoragePrefix + "table") {
                servesReads = Self.isEmptyJSONArray(bytes)
            }
            guard case .standby = state else { return nil }
            standbyTables = StandbyTables(generation: generation, node: node, servesReads: servesReads)
            return servesReads ? node : nil
        } catch {
            logger.warning("standby: cannot build tables to serve reads", metadata: ["error": "\(type(of: error))"])
            return nil
        }
    }

    /// Keeps the policies `store` parsed for the next read, when the tables it came from are still current.
    func adoptStandbyPolicyCaches(of store: PolicyStore) {
        standbyTables?.node.policies.adoptCaches(of: store)
    }

    private static func isEmptyJSONArray(_ bytes: [UInt8]) -> Bool {
        guard case .array(let items) = try? JSONValue.parse(bytes) else { return false }
        return items.isEmpty
    }
}
