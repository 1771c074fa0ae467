import Cluster
import Foundation
import Raft

/// One node of the cluster as every node needs to know it: its name, and where its API and cluster port
/// listen. Stored in clear (nothing secret) at `raft/members/<name>` in the replicated store, written by the
/// leader when the node joins (and by the founder for itself at init), so every node learns every address
/// through the log.
public struct ClusterMember: Codable, Sendable, Equatable {
    public static let keyPrefix = "raft/members/"

    public var name: String
    public var apiAddress: String
    /// host:port of the cluster listener.
    public var clusterAddress: String

    enum CodingKeys: String, CodingKey {
        case name = "node_id"
        case apiAddress = "api_addr"
        case clusterAddress = "cluster_addr"
    }

    public init(name: String, apiAddress: String, clusterAddress: String) {
        self.name = name
        self.apiAddress = apiAddress
        self.clusterAddress = clusterAddress
    }

    var key: String { Self.keyPrefix + name }

    var nodeName: ClusterNodeID? { ClusterNodeID(name) }

    var raftID: NodeID? { nodeName.map(RaftRuntime.raftID(for:)) }

    var peerAddress: PeerAddress? { Self.parse(clusterAddress) }

    func encoded() -> [UInt8] {
        (try? Array(JSONEncoder().encode(self))) ?? []
    }

    /// host:port, or a URL such as https://host:port (Vault's `cluster_addr` form).
    static func parse(_ address: String) -> PeerAddress? {
        var rest = Substring(address)
        if let scheme = rest.range(of: "://") { rest = rest[scheme.upperBound...] }
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]),
            (1...65535).contains(port)
        else { return nil }
        var host = String(rest[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return PeerAddress(host: host.isEmpty ? "127.0.0.1" : host, port: port)
    }
}
