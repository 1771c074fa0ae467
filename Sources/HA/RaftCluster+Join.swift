import AsyncHTTPClient
import Barrier
import Cluster
import Core
import Foundation
import NIOCore
import NIOHTTP1
import Raft

/// A challenge the leader handed to a joining node: it proves the node was unsealed with this cluster's
/// shares by sending back `answer`, which it can only read with the root key.
struct JoinChallenge {
    var answer: [UInt8]
    var expires: Date
}

/// A join in progress on the joining node, between the challenge and the unseal shares.
struct JoinAttempt {
    var leaderAPI: String
    var challenge: [UInt8]
    var rootKeyRecord: [UInt8]
}

/// Joining, in four steps:
/// 1. The joiner asks the leader (`sys/storage/raft/bootstrap/challenge`, unauthenticated) and gets the seal
///    configuration, the root key record (ciphertext under the unseal key) and a random answer sealed under a
///    key derived from the root key.
/// 2. Key holders unseal the joiner with the cluster's shares; with them it opens the root key record and the
///    answer. A node given other shares cannot.
/// 3. It sends the answer back (`.../bootstrap/answer`); the leader compares in constant time, records the
///    node's addresses, adds it as a learner and returns its cluster certificate sealed the same way.
/// 4. The joiner opens the cluster port with that certificate and receives the state as a snapshot; the
///    leader's autopilot promotes it to voter once it has kept up for the stabilisation time.
extension RaftCluster {
    static let challengeLifetime: TimeInterval = 300

    // MARK: - Joiner side

    func requestChallenge(leaderAPI: String, core: CofferCore) async throws {
        let body: JSONValue = ["server_id": .string(settings.name.rawValue)]
        let reply = try await post(leaderAPI, path: "sys/storage/raft/bootstrap/challenge", body: body)
        guard let challenge = reply["challenge"]?.stringValue.flatMap({ Data(base64Encoded: $0) }),
            let record = reply["root_key_record"]?.stringValue.flatMap({ Data(base64Encoded: $0) }),
            let config = reply["seal_config"]?.objectValue,
            case .int(let shares)? = config["secret_shares"], case .int(let threshold)? = config["secret_threshold"]
        else {
            throw CoreError.internal("the leader's join challenge is malformed")
        }
        try await core.beginJoin(sealConfig: SealConfig(shares: Int(shares), threshold: Int(threshold)))
        join = JoinAttempt(leaderAPI: leaderAPI, challenge: Array(challenge), rootKeyRecord: Array(record))
    }

    public func completeJoin(unsealKey: SecretKey) async throws(CoreError) {
        guard let attempt = join else { throw CoreError.badRequest("no join in progress on this node") }
        let name = settings.name.rawValue
        let answer: [UInt8]
        do {
            answer = try Barrier.openForJoin(
                attempt.challenge, context: "challenge/" + name, rootKeyRecord: attempt.rootKeyRecord,
                unsealKey: unsealKey)
        } catch {
            throw CoreError.badRequest(
                "unable to retrieve stored keys: invalid key: these shares do not belong to the cluster being joined")
        }
        do {
            let reply = try await post(
                attempt.leaderAPI, path: "sys/storage/raft/bootstrap/answer",
                body: [
                    "server_id": .string(name),
                    "answer": .string(Data(answer).base64EncodedString()),
                    "cluster_addr": .string(settings.clusterAddress),
                    "api_addr": .string(settings.apiAddress),
                ])
            guard let sealed = reply["credentials"]?.stringValue.flatMap({ Data(base64Encoded: $0) }) else {
                throw CoreError.internal("the leader's join answer is malformed")
            }
            let plaintext = try Barrier.openForJoin(
                Array(sealed), context: "credentials/" + name, rootKeyRecord: attempt.rootKeyRecord,
                unsealKey: unsealKey)
            let credentials = try JoinCredentials.decode(plaintext).credentials(for: settings.name)
            var known: [ClusterNodeID: PeerAddress] = [:]
            for entry in reply["members"]?.arrayValue ?? [] {
                guard let object = entry.objectValue, let member = ClusterMember(json: object),
                    let memberName = member.nodeName, let address = member.peerAddress
                else { continue }
                known[memberName] = address
            }
            try RaftRuntime.prepareToJoin(store)
            try await startRuntime(credentials: credentials)
            await runtime?.updatePeers(known)
            try await waitForState()
            join = nil
            logger.info("joined the cluster; state received")
        } catch let error as CoreError {
            await stopRuntime()
            throw error
        } catch {
            await stopRuntime()
            throw CoreError.internal("joining the cluster failed: \(error)")
        }
    }

    /// Waits until the snapshot from the leader has put the cluster's keys into the local store.
    private func waitForState() async throws {
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            if try await store.data.get(Barrier.rootKeyPath) != nil { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw CoreError.unavailable("timed out waiting for the cluster's state from the leader")
    }

    func post(_ base: String, path: String, body: JSONValue, token: String? = nil) async throws -> [String: JSONValue] {
        var trimmed = base
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let url = URL(string: trimmed + "/v1/" + path) else {
            throw CoreError.badRequest("invalid leader_api_addr \"\(base)\"")
        }
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let token { request.headers.add(name: "X-Vault-Token", value: token) }
        request.body = .bytes(ByteBuffer(bytes: body.serialized()))
        let (status, data) = try await Self.withJoinClient { client in
            let response = try await client.execute(request, deadline: .distantFuture)
            let data = try await response.body.collect(upTo: Self.maximumJoinReply)
            return (Int(response.status.code), Array(buffer: data))
        }
        let parsed = (try? JSONValue.parse(data))?.objectValue ?? [:]
        guard (200..<300).contains(status) else {
            let errors = parsed["errors"]?.arrayValue?.compactMap(\.stringValue).joined(separator: "; ") ?? ""
            throw CoreError.unavailable("leader answered \(status): \(errors)")
        }
        return parsed["data"]?.objectValue ?? parsed
    }

    /// The largest answer to a join request read from the leader (it carries the member list and credentials).
    static let maximumJoinReply = 16 << 20

    /// Runs `body` with an HTTP client made for it and shut down after it. Joins are rare (an uninitialised node
    /// polling `retry_join`, then two requests), so no client, pool or idle connection outlives them on a
    /// running node. Connect and read each time out after 10 s, as the `URLRequest` did before; redirects are
    /// followed (the JSON body is in memory and can be sent again) and verification uses the system's roots.
    static func withJoinClient<Result: Sendable>(
        _ body: (HTTPClient) async throws -> Result
    ) async throws -> Result {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .follow(max: 10, allowCycles: false),
            timeout: .init(connect: .seconds(10), read: .seconds(10)))
        configuration.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let result = try await body(client)
            try? await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    // MARK: - Leader side

    func issueChallenge(_ request: Request, core: CofferCore) async throws(CoreError) -> Response {
        try await requireActive(core)
        guard let barrier, let name = request.data["server_id"]?.stringValue, ClusterNodeID(name) != nil else {
            throw CoreError.badRequest("server_id must be a lowercase DNS label (a-z, 0-9, -)")
        }
        let record: [UInt8]
        let sealed: [UInt8]
        var answer = [UInt8](repeating: 0, count: 32)
        for index in answer.indices { answer[index] = UInt8.random(in: 0...255) }
        do {
            guard let stored = try await store.data.get(Barrier.rootKeyPath) else {
                throw CoreError.internal("root key record missing")
            }
            record = stored
            sealed = try await barrier.sealForJoin(answer, context: "challenge/" + name)
        } catch {
            throw CoreError.internal("could not create a join challenge")
        }
        challenges = challenges.filter { $0.value.expires > Date() }
        guard challenges.count < 64 else { throw CoreError.unavailable("too many joins in progress; retry later") }
        challenges[name] = JoinChallenge(answer: answer, expires: Date().addingTimeInterval(Self.challengeLifetime))
        let config = await core.currentSealConfig
        return .data([
            "challenge": .string(Data(sealed).base64EncodedString()),
            "root_key_record": .string(Data(record).base64EncodedString()),
            "seal_config": [
                "type": "shamir",
                "secret_shares": .int(Int64(config?.secretShares ?? 0)),
                "secret_threshold": .int(Int64(config?.secretThreshold ?? 0)),
            ],
        ])
    }

    func acceptAnswer(_ request: Request, core: CofferCore) async throws(CoreError) -> Response {
        try await requireActive(core)
        guard let barrier, let runtime else { throw CoreError.sealed }
        guard let name = request.data["server_id"]?.stringValue, let nodeName = ClusterNodeID(name),
            let answerText = request.data["answer"]?.stringValue, let answer = Data(base64Encoded: answerText),
            let clusterAddress = request.data["cluster_addr"]?.stringValue,
            ClusterMember.parse(clusterAddress) != nil
        else {
            throw CoreError.badRequest("server_id, answer and cluster_addr are required")
        }
        guard let challenge = challenges[name], challenge.expires > Date(),
            constantTimeEqual(challenge.answer, Array(answer))
        else {
            throw CoreError.badRequest("invalid join answer")
        }
        challenges[name] = nil
        let member = ClusterMember(
            name: name, apiAddress: request.data["api_addr"]?.stringValue ?? "", clusterAddress: clusterAddress)
        let id = RaftRuntime.raftID(for: nodeName)
        do {
            // A node that was a member before (its data wiped) rejoins from scratch: its old vote and log are gone.
            if await runtime.status.configuration.members.contains(id) {
                try await runtime.changeMembership(.remove(id))
            }
            try await storage.put(member.key, member.encoded())
            await refreshPeers()
            try await runtime.changeMembership(.addLearner(id))
            let credentials = JoinCredentials(try await self.credentials(for: nodeName, barrier: barrier))
            let sealed = try await barrier.sealForJoin(credentials.encoded(), context: "credentials/" + name)
            logger.info("node joined as non-voter", metadata: ["joiner": "\(name)"])
            return .data([
                "credentials": .string(Data(sealed).base64EncodedString()),
                "members": .array(members().values.sorted { $0.name < $1.name }.map { $0.json }),
            ])
        } catch let error as CoreError {
            throw error
        } catch {
            throw CoreError.internal("could not add the node: \(error)")
        }
    }

    /// `sys/storage/raft/join` on this (uninitialised) node.
    func handleJoinRequest(_ request: Request, core: CofferCore) async throws(CoreError) -> Response {
        guard request.operation == .update || request.operation == .create else { throw CoreError.methodNotAllowed }
        guard await !core.isInitialized else {
            throw CoreError.badRequest("node is already initialized or joining; it cannot join a cluster")
        }
        guard let leader = request.data["leader_api_addr"]?.stringValue, !leader.isEmpty else {
            throw CoreError.badRequest("leader_api_addr is required")
        }
        do {
            try await requestChallenge(leaderAPI: leader, core: core)
        } catch let error as CoreError {
            throw error
        } catch {
            throw CoreError.internal("failed to join raft cluster: \(error)")
        }
        return .raw(["joined": true])
    }

    func requireActive(_ core: CofferCore) async throws(CoreError) {
        if await core.isStandby { throw CoreError.standby }
        guard await !core.isSealed, activeSince != nil else { throw CoreError.sealed }
    }
}

/// A joining node's cluster certificate and key and the CA, as the leader seals them for it.
struct JoinCredentials: Codable {
    var certificate: String
    var privateKey: String
    var roots: [String]

    init(_ credentials: ClusterNodeCredentials) {
        certificate = Data(credentials.certificateDER).base64EncodedString()
        privateKey = Data(credentials.privateKeyDER).base64EncodedString()
        roots = credentials.trustedRootsDER.map { Data($0).base64EncodedString() }
    }

    func encoded() -> [UInt8] { (try? Array(JSONEncoder().encode(self))) ?? [] }

    static func decode(_ bytes: [UInt8]) throws -> JoinCredentials {
        try JSONDecoder().decode(JoinCredentials.self, from: Data(bytes))
    }

    func credentials(for name: ClusterNodeID) throws -> ClusterNodeCredentials {
        guard let certificate = Data(base64Encoded: certificate), let key = Data(base64Encoded: privateKey) else {
            throw CoreError.internal("malformed cluster credentials")
        }
        return try ClusterNodeCredentials(
            nodeID: name, certificateDER: Array(certificate), privateKeyDER: Array(key),
            trustedRootsDER: roots.compactMap { Data(base64Encoded: $0).map(Array.init) })
    }
}

extension ClusterMember {
    init?(json: [String: JSONValue]) {
        guard let name = json["node_id"]?.stringValue, let cluster = json["cluster_addr"]?.stringValue else {
            return nil
        }
        self.init(name: name, apiAddress: json["api_addr"]?.stringValue ?? "", clusterAddress: cluster)
    }

    var json: JSONValue {
        ["node_id": .string(name), "api_addr": .string(apiAddress), "cluster_addr": .string(clusterAddress)]
    }
}

/// Compares two byte strings in time that depends only on their lengths.
func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
    guard lhs.count == rhs.count else { return false }
    var difference: UInt8 = 0
    for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
    return difference == 0
}
