/// Settings of a node that the core needs, taken from the server config.
public struct CoreOptions: Sendable {
    /// OpenBao 2.5+ refuses the unauthenticated `sys/rekey/*` endpoints unless a
    /// listener sets `disable_unauthed_rekey_endpoints = false`; Coffer does the same.
    public var disableUnauthedRekeyEndpoints: Bool
    /// Likewise for the legacy unauthenticated `sys/generate-root/*`.
    public var disableUnauthedGenerateRootEndpoints: Bool
    /// Reported as `storage_type` in seal status.
    public var storageType: String
    /// Reported as `version`. Vault clients parse it to pick API features, so it names
    /// the OpenBao version whose API Coffer speaks, with Coffer's own as build metadata.
    public var version: String
    /// Standbys answer reads themselves once a read-index round proved their copy current (Core+StandbyReads);
    /// false: they forward every request (server config `disable_performance_standby = true`).
    public var standbyReads: Bool

    public init(
        disableUnauthedRekeyEndpoints: Bool = true,
        disableUnauthedGenerateRootEndpoints: Bool = true,
        storageType: String = "raft",
        version: String = CoreOptions.defaultVersion,
        standbyReads: Bool = true
    ) {
        self.standbyReads = standbyReads
        self.disableUnauthedRekeyEndpoints = disableUnauthedRekeyEndpoints
        self.disableUnauthedGenerateRootEndpoints = disableUnauthedGenerateRootEndpoints
        self.storageType = storageType
        self.version = version
    }

    public static let defaultVersion = "2.7.2+coffer.0.1.0"
}
