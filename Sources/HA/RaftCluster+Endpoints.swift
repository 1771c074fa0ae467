import Barrier
import Cluster
import Core
import Engines
import Foundation
import Raft

/// Autopilot's settings, as OpenBao's `sys/storage/raft/autopilot/configuration` shows them. Durations in
/// seconds. Stored behind the barrier so every node that becomes leader uses the same.
struct AutopilotConfiguration: Codable, Equatable {
    static let storageKey = "core/raft/autopilot"

    var cleanupDeadServers = false
    var lastContactThreshold: Int64 = 10
    var deadServerLastContactThreshold: Int64 = 24 * 3600
    var maxTrailingLogs: Int64 = 1000
    var minQuorum: Int64 = 0
    var serverStabilizationTime: Int64 = 10

    var json: [String: JSONValue] {
        [
            "cleanup_dead_servers": .bool(cleanupDeadServers),
            "last_contact_threshold": .string(GoDuration.format(seconds: lastContactThreshold)),
            "dead_server_last_contact_threshold": .string(GoDuration.format(seconds: deadServerLastContactThreshold)),
            "max_trailing_logs": .int(maxTrailingLogs),
            "min_quorum": .int(minQuorum),
            "server_stabilization_time": .string(GoDuration.format(seconds: serverStabilizationTime)),
            "disable_upgrade_migration": false,
        ]
    }
}

extension RaftCluster {
    public func handleUnauthenticated(_ request: Request, core: CofferCore) async throws(CoreError) -> Response? {
        switch request.path {
        case "sys/storage/raft/join":
            return try await handleJoinRequest(request, core: core)
        case "sys/storage/raft/bootstrap/challenge":
            guard request.operation == .update || request.operation == .create else {
                throw CoreError.methodNotAllowed
            }
            return try await issueChallenge(request, core: core)
        case "sys/storage/raft/bootstrap/answer":
            guard request.operation == .update || request.operation == .create else {
                throw CoreError.methodNotAllowed
            }
            return try await acceptAnswer(request, core: core)
        default:
            return try await handleReplication(request, core: core)
        }
    }

    public func handleSystem(_ request: Request, core: CofferCore) async throws(CoreError) -> Response? {
        guard let runtime else { throw CoreError.sealed }
        if let response = try await handleSnapshot(request, core: core, runtime: runtime) { return response }
        if let response = try await handleReplicationAuthenticated(request, core: core) { return response }
        switch request.path {
        case "sys/storage/raft/configuration":
            try only(request, [.read])
            return .data(["config": await configuration(runtime)])
        case "sys/storage/raft/remove-peer":
            try only(request, [.update, .create])
            return try await removePeer(request, runtime: runtime)
        case "sys/storage/raft/autopilot/state":
            try only(request, [.read])
            return .data(await autopilotState(runtime))
        case "sys/storage/raft/autopilot/configuration":
            if request.operation == .read { return .data(autopilot.json) }
            try only(request, [.update, .create])
            return try await updateAutopilot(request)
        case "sys/storage/raft/tls/rotate":
            try only(request, [.update, .create])
            return try await rotateClusterCA()
        case "sys/ha-status":
            try only(request, [.read])
            return .data(["nodes": await haNodes(runtime)], alsoAtTopLevel: true)
        case "sys/step-down":
            try only(request, [.update, .create])
            await stepDown()
            return .noContent
        default:
            return nil
        }
    }

    private func only(_ request: Request, _ operations: Set<Core.Operation>) throws(CoreError) {
        guard operations.contains(request.operation) else { throw CoreError.methodNotAllowed }
    }

    // MARK: - Reports

    private func configuration(_ runtime: RaftRuntime) async -> JSONValue {
        let status = await runtime.status
        let byID = Dictionary(members().values.compactMap { member in member.raftID.map { ($0, member) } },
                              uniquingKeysWith: { first, _ in first })
        var servers: [JSONValue] = []
        for id in status.configuration.members.sorted(by: { (byID[$0]?.name ?? "") < (byID[$1]?.name ?? "") }) {
            let member = byID[id]
            servers.append([
                "node_id": .string(member?.name ?? String(id, radix: 16)),
                "address": .string(member?.clusterAddress ?? ""),
                "leader": .bool(status.leader == id),
                "protocol_version": "3",
                "voter": .bool(status.configuration.isVoter(id)),
            ])
        }
        return ["servers": .array(servers), "index": .int(Int64(clamping: status.commit))]
    }

    private func autopilotState(_ runtime: RaftRuntime) async -> [String: JSONValue] {
        let status = await runtime.status
        let progress = await runtime.progress
        let contact = await runtime.lastContact()
        let byID = Dictionary(members().values.compactMap { member in member.raftID.map { ($0, member) } },
                              uniquingKeysWith: { first, _ in first })
        var servers: [String: JSONValue] = [:]
        var healthyVoters = 0
        var voters: [JSONValue] = []
        for id in status.configuration.members {
            let name = byID[id]?.name ?? String(id, radix: 16)
            let isSelf = id == runtime.id
            let lastContact = isSelf ? Duration.zero : (contact[id] ?? .seconds(Int64.max / 2_000_000_000))
            let match = isSelf ? status.lastIndex : (progress[id]?.match ?? 0)
            let healthy = isServerHealthy(lastContact: lastContact, match: match, lastIndex: status.lastIndex)
            let isVoter = status.configuration.isVoter(id)
            if isVoter {
                voters.append(.string(name))
                if healthy { healthyVoters += 1 }
            }
            let since = healthySince[name].map { Timestamp($0).rfc3339Nano } ?? "0001-01-01T00:00:00Z"
            servers[name] = [
                "id": .string(name),
                "name": .string(name),
                "address": .string(byID[id]?.clusterAddress ?? ""),
                "node_status": healthy ? "alive" : "failed",
                "last_contact": .string(Self.format(lastContact)),
                "last_term": .int(Int64(clamping: status.term)),
                "last_index": .int(Int64(clamping: match)),
                "healthy": .bool(healthy),
                "stable_since": .string(since),
                "status": .string(status.leader == id ? "leader" : (isVoter ? "voter" : "non-voter")),
                "node_type": .string(isVoter ? "voter" : "non-voter"),
                "version": "2.7.2",
                "meta": [:],
            ]
        }
        let tolerance = max(0, healthyVoters - status.configuration.quorum)
        let leaderName = status.leader.flatMap { byID[$0]?.name } ?? ""
        return [
            "healthy": .bool(healthyVoters >= status.configuration.quorum && !voters.isEmpty),
            "failure_tolerance": .int(Int64(tolerance)),
            "optimistic_failure_tolerance": .int(Int64(tolerance)),
            "leader": .string(leaderName),
            "voters": .array(voters),
            "servers": .object(servers),
        ]
    }

    private func haNodes(_ runtime: RaftRuntime) async -> JSONValue {
        let status = await runtime.status
        let contact = await runtime.lastContact()
        var nodes: [JSONValue] = []
        for member in members().values.sorted(by: { $0.name < $1.name }) {
            guard let id = member.raftID, status.configuration.members.contains(id) else { continue }
            let isLeader = status.leader == id
            let echo: JSONValue
            if id == runtime.id {
                echo = .string(Timestamp(Date()).rfc3339Nano)
            } else if let last = contact[id] {
                echo = .string(Timestamp(Date().addingTimeInterval(-Self.seconds(last))).rfc3339Nano)
            } else {
                echo = .null
            }
            nodes.append([
                "hostname": .string(member.name),
                "api_address": .string(member.apiAddress),
                "cluster_address": .string(
                    member.clusterAddress.contains("://") ? member.clusterAddress : "https://" + member.clusterAddress),
                "active_node": .bool(isLeader),
                "last_echo": isLeader ? .null : echo,
                "version": "2.7.2",
            ])
        }
        return .array(nodes)
    }

    // MARK: - Changes

    private func removePeer(_ request: Request, runtime: RaftRuntime) async throws(CoreError) -> Response {
        guard let name = request.data["server_id"]?.stringValue, let nodeName = ClusterNodeID(name) else {
            throw CoreError.badRequest("no server id provided")
        }
        let id = RaftRuntime.raftID(for: nodeName)
        guard await runtime.status.configuration.members.contains(id) else {
            throw CoreError.badRequest("no server with id \"\(name)\" is a member of the cluster")
        }
        do {
            try await runtime.changeMembership(.remove(id))
            try await storage.delete(ClusterMember.keyPrefix + name)
        } catch {
            throw CoreError.internal("could not remove the peer: \(error)")
        }
        logger.info("peer removed", metadata: ["peer": "\(name)"])
        return .noContent
    }

    private func updateAutopilot(_ request: Request) async throws(CoreError) -> Response {
        var next = autopilot
        if let value = request.data["cleanup_dead_servers"] {
            guard case .bool(let flag) = value else {
                throw CoreError.badRequest("cleanup_dead_servers must be a boolean")
            }
            next.cleanupDeadServers = flag
        }
        func duration(_ key: String) throws(CoreError) -> Int64? {
            guard let value = request.data[key] else { return nil }
            guard let seconds = try DurationValue.seconds(value, field: key), seconds >= 0 else {
                throw CoreError.badRequest("\(key) must be a duration")
            }
            return seconds
        }
        func integer(_ key: String) throws(CoreError) -> Int64? {
            guard let value = request.data[key] else { return nil }
            switch value {
            case .int(let number) where number >= 0: return number
            case .string(let text): if let number = Int64(text), number >= 0 { return number }
            default: break
            }
            throw CoreError.badRequest("\(key) must be a non-negative integer")
        }
        if let value = try duration("last_contact_threshold") { next.lastContactThreshold = value }
        if let value = try duration("dead_server_last_contact_threshold") {
            next.deadServerLastContactThreshold = value
        }
        if let value = try duration("server_stabilization_time") { next.serverStabilizationTime = value }
        if let value = try integer("max_trailing_logs") { next.maxTrailingLogs = value }
        if let value = try integer("min_quorum") { next.minQuorum = value }
        if next.cleanupDeadServers && next.minQuorum < 3 {
            throw CoreError.badRequest("min_quorum must be set when cleanup_dead_servers is set and it should at least be 3")
        }
        guard let barrier else { throw CoreError.sealed }
        do {
            try await barrier.put(AutopilotConfiguration.storageKey, Array(JSONEncoder().encode(next)))
        } catch {
            throw CoreError.internal("could not store the autopilot configuration")
        }
        autopilot = next
        return .noContent
    }

    // MARK: - Autopilot

    func isServerHealthy(lastContact: Duration, match: LogIndex, lastIndex: LogIndex) -> Bool {
        Self.seconds(lastContact) < Double(autopilot.lastContactThreshold)
            && match + LogIndex(max(0, autopilot.maxTrailingLogs)) >= lastIndex
    }

    /// One autopilot round on the active node: promote learners that have kept up for the stabilisation time;
    /// with cleanup on, remove voters unheard of past the dead-server threshold while `min_quorum` remains.
    func runAutopilot() async {
        guard activeSince != nil, let runtime, let barrier else {
            healthySince = [:]
            return
        }
        if let stored = try? await barrier.get(AutopilotConfiguration.storageKey),
            let config = try? JSONDecoder().decode(AutopilotConfiguration.self, from: Data(stored))
        {
            autopilot = config
        }
        let status = await runtime.status
        let progress = await runtime.progress
        let contact = await runtime.lastContact()
        let byID = Dictionary(members().values.compactMap { member in member.raftID.map { ($0, member) } },
                              uniquingKeysWith: { first, _ in first })
        let now = Date()
        for id in status.configuration.members {
            guard let name = byID[id]?.name else { continue }
            let isSelf = id == runtime.id
            let healthy = isSelf || isServerHealthy(
                lastContact: contact[id] ?? .seconds(1 << 40), match: progress[id]?.match ?? 0,
                lastIndex: status.lastIndex)
            healthySince[name] = healthy ? (healthySince[name] ?? now) : nil
        }
        for id in status.configuration.learners {
            guard let name = byID[id]?.name, let since = healthySince[name],
                now.timeIntervalSince(since) >= Double(autopilot.serverStabilizationTime),
                let match = progress[id]?.match, match >= status.commit
            else { continue }
            do {
                try await runtime.changeMembership(.promoteLearner(id))
                logger.info("autopilot promoted a non-voter", metadata: ["peer": "\(name)"])
            } catch {
                logger.debug("autopilot could not promote yet", metadata: ["peer": "\(name)", "error": "\(error)"])
            }
            return
        }
        guard autopilot.cleanupDeadServers else { return }
        for id in status.configuration.voters where id != runtime.id {
            let silent = contact[id].map { Self.seconds($0) } ?? Double.infinity
            guard silent >= Double(autopilot.deadServerLastContactThreshold),
                Int64(status.configuration.voters.count - 1) >= max(autopilot.minQuorum, 1)
            else { continue }
            let name = byID[id]?.name ?? String(id, radix: 16)
            do {
                try await runtime.changeMembership(.remove(id))
                try? await storage.delete(ClusterMember.keyPrefix + name)
                logger.warning("autopilot removed a dead server", metadata: ["peer": "\(name)"])
            } catch {
                logger.debug("autopilot could not remove a dead server", metadata: ["peer": "\(name)"])
            }
            return
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// Go's `time.Duration.String()` for a contact age, in the coarse form OpenBao prints (e.g. "1.2s", "0s").
    static func format(_ duration: Duration) -> String {
        let value = seconds(duration)
        if value <= 0 { return "0s" }
        if value < 1 { return "\(Int(value * 1000))ms" }
        if value > 1e9 { return "never" }
        return GoDuration.format(seconds: Int64(value))
    }
}
