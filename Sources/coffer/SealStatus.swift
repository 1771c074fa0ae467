/// The answer of `sys/seal-status` (plus the HA fields of `sys/leader`) and its two renderings: the Key/Value
/// table of `vault status` and the JSON object in the Go client's field order.
struct SealStatus: Sendable {
    var raw: JSONObject
    var haEnabled = false
    var isSelf = false
    var activeTime: String?
    var leaderAddress: String?
    var leaderClusterAddress: String?
    var raftCommittedIndex = 0
    var raftAppliedIndex = 0

    init(_ raw: JSONObject) {
        self.raw = raw
    }

    var sealed: Bool { raw["sealed"]?.boolValue ?? false }
    var initialized: Bool { raw["initialized"]?.boolValue ?? false }
    var threshold: Int { raw["t"]?.intValue ?? 0 }
    var shares: Int { raw["n"]?.intValue ?? 0 }
    var progress: Int { raw["progress"]?.intValue ?? 0 }

    private func string(_ key: String) -> String {
        raw[key]?.stringValue ?? ""
    }

    /// Copies the HA fields of a `sys/leader` answer.
    mutating func apply(leader: JSONObject) {
        haEnabled = leader["ha_enabled"]?.boolValue ?? false
        isSelf = leader["is_self"]?.boolValue ?? false
        activeTime = leader["active_time"]?.stringValue
        leaderAddress = leader["leader_address"]?.stringValue
        leaderClusterAddress = leader["leader_cluster_address"]?.stringValue
        raftCommittedIndex = leader["raft_committed_index"]?.intValue ?? 0
        raftAppliedIndex = leader["raft_applied_index"]?.intValue ?? 0
    }

    func table() -> String {
        var rows: [[String]] = [["Seal Type", string("type")]]
        let recovery = raw["recovery_seal"]?.boolValue ?? false
        if recovery {
            rows.append(["Recovery Seal Type", string("recovery_seal_type")])
        }
        rows.append(["Initialized", String(initialized)])
        rows.append(["Sealed", String(sealed)])
        rows.append([recovery ? "Total Recovery Shares" : "Total Shares", String(shares)])
        rows.append(["Threshold", String(threshold)])
        if sealed {
            rows.append(["Unseal Progress", "\(progress)/\(threshold)"])
            rows.append(["Unseal Nonce", string("nonce")])
        }
        if raw["migration"]?.boolValue ?? false {
            rows.append(["Seal Migration in Progress", "true"])
        }
        for (label, key) in [("Version", "version"), ("Commit Date", "commit_date"), ("Storage Type", "storage_type")]
        where !string(key).isEmpty {
            rows.append([label, string(key)])
        }
        if !string("cluster_name").isEmpty, !string("cluster_id").isEmpty {
            rows.append(["Cluster Name", string("cluster_name")])
            rows.append(["Cluster ID", string("cluster_id")])
        }
        rows.append(["HA Enabled", String(haEnabled)])
        if haEnabled, !sealed {
            rows.append(["HA Cluster", leaderClusterAddress ?? ""])
            rows.append(["HA Mode", isSelf ? "active" : "standby"])
            if isSelf, let activeTime, !activeTime.isEmpty, !activeTime.hasPrefix("0001-01-01") {
                rows.append(["Active Since", activeTime])
            }
            if !isSelf, let leaderAddress, !leaderAddress.isEmpty {
                rows.append(["Active Node Address", leaderAddress])
            }
        }
        if raftCommittedIndex > 0 {
            rows.append(["Raft Committed Index", String(raftCommittedIndex)])
        }
        if raftAppliedIndex > 0 {
            rows.append(["Raft Applied Index", String(raftAppliedIndex)])
        }
        return Table.withHeader(["Key", "Value"], rows: rows).render()
    }

    func jsonValue() -> JSONValue {
        var object = JSONObject()
        let fields: [(String, JSONValue, Bool)] = [
            ("type", .string(""), false), ("initialized", .bool(false), false), ("sealed", .bool(false), false),
            ("t", .number("0"), false), ("n", .number("0"), false), ("progress", .number("0"), false),
            ("nonce", .string(""), false), ("version", .string(""), false), ("commit_date", .string(""), false),
            ("migration", .bool(false), false), ("cluster_name", .string(""), true),
            ("cluster_id", .string(""), true), ("recovery_seal", .bool(false), false),
            ("recovery_seal_type", .string(""), true), ("storage_type", .string(""), true),
            ("warnings", .null, true), ("build_date", .string(""), false),
        ]
        for (name, zero, omitEmpty) in fields {
            let value = raw[name] ?? zero
            if omitEmpty, Self.isEmpty(value) {
                continue
            }
            object.set(name, value)
        }
        object.set("ha_enabled", .bool(haEnabled))
        if isSelf {
            object.set("is_self", .bool(true))
        }
        if let activeTime, !activeTime.isEmpty, !activeTime.hasPrefix("0001-01-01") {
            object.set("active_time", .string(activeTime))
        }
        if let leaderAddress, !leaderAddress.isEmpty {
            object.set("leader_address", .string(leaderAddress))
        }
        if let leaderClusterAddress, !leaderClusterAddress.isEmpty {
            object.set("leader_cluster_address", .string(leaderClusterAddress))
        }
        if raftCommittedIndex > 0 {
            object.set("raft_committed_index", .number(String(raftCommittedIndex)))
        }
        if raftAppliedIndex > 0 {
            object.set("raft_applied_index", .number(String(raftAppliedIndex)))
        }
        return .object(object)
    }

    private static func isEmpty(_ value: JSONValue) -> Bool {
        switch value {
        case .null: return true
        case .string(let text): return text.isEmpty
        case .array(let items): return items.isEmpty
        default: return false
        }
    }

    /// Fetches `sys/leader` and prints the status as `vault status` and `vault operator unseal` do. A sealed
    /// node answers `sys/leader` with "Vault is sealed", which means HA is on but the leader is unknown.
    static func printWithLeader(
        _ raw: JSONObject, client: VaultClient, format: OutputFormat
    ) async throws(CLIError) {
        var status = SealStatus(raw)
        do {
            if let leader = try await client.send("GET", "sys/leader")?.objectValue {
                status.apply(leader: leader)
            }
        } catch {
            if "\(error)".contains("Vault is sealed") {
                status.haEnabled = true
            } else {
                throw .usage("Error checking leader status: \(error)")
            }
        }
        format.print(json: status.jsonValue()) { status.table() }
    }
}
