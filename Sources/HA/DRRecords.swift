import Cluster
import Foundation

/// A primary's DR replication state, behind its barrier at `core/replication/dr/primary` (local: never shipped).
/// The replication CA signs the client certificates of secondaries; a secondary is served only while its id is
/// known and not revoked. `epoch` is the replication generation: a promotion starts a higher one.
struct DRPrimaryRecord: Codable, Equatable {
    static let storageKey = "core/replication/dr/primary"

    struct Secondary: Codable, Equatable {
        var id: String
        var revoked = false
    }

    var caCertificate: String
    var caPrivateKey: String
    var secondaries: [String: Secondary] = [:]
    var epoch: UInt64 = 1
    /// Demoted (by `primary/demote`, or fenced by a promoted secondary of a higher epoch): refuses writes.
    var demoted = false
    /// Set on a promoted secondary: the primary it replaced, to be fenced (told of the new epoch) when reachable.
    var formerPrimary: DRActivation?

    init(authority: ClusterCertificateAuthority, epoch: UInt64) {
        caCertificate = Data(authority.certificateDER).base64EncodedString()
        caPrivateKey = Data(authority.privateKeyDER).base64EncodedString()
        self.epoch = epoch
    }

    func authority() throws -> ClusterCertificateAuthority {
        guard let certificate = Data(base64Encoded: caCertificate), let key = Data(base64Encoded: caPrivateKey) else {
            throw DRError.malformedState
        }
        return try ClusterCertificateAuthority(certificateDER: Array(certificate), privateKeyDER: Array(key))
    }

    var caCertificateDER: [UInt8] { Data(base64Encoded: caCertificate).map(Array.init) ?? [] }
}

/// A DR secondary's state, behind its barrier at `core/replication/dr/secondary` (local): how to reach and
/// authenticate to the primary. Its private key is secret, like everything behind the barrier.
struct DRSecondaryRecord: Codable, Equatable {
    static let storageKey = "core/replication/dr/secondary"

    var activation: DRActivation
    /// Set when the next pull must start from a new baseline (update-primary, or a reseed answer).
    var needsBaseline = true
}

/// What the wrapped activation token holds: the secondary's identity and client certificate from the
/// replication CA, and where and how to reach the primary.
struct DRActivation: Codable, Equatable {
    struct Member: Codable, Equatable {
        var name: String
        var clusterAddress: String
        var apiAddress: String

        enum CodingKeys: String, CodingKey {
            case name = "node_id"
            case clusterAddress = "cluster_addr"
            case apiAddress = "api_addr"
        }
    }

    var secondaryID: String
    var primaryClusterID: String
    var members: [Member]
    /// The primary's cluster CA certificates (base64 DER): what its nodes' server certificates chain to.
    var trustedRoots: [String]
    var certificate: String
    var privateKey: String
    var epoch: UInt64

    enum CodingKeys: String, CodingKey {
        case secondaryID = "secondary_id"
        case primaryClusterID = "primary_cluster_id"
        case members = "primary_members"
        case trustedRoots = "ca_certs"
        case certificate = "client_cert"
        case privateKey = "client_key"
        case epoch
    }

    func credentials() throws -> ClusterNodeCredentials {
        guard let name = DRIdentity.nodeName(for: secondaryID),
            let certificate = Data(base64Encoded: certificate), let key = Data(base64Encoded: privateKey)
        else { throw DRError.malformedState }
        let roots = trustedRoots.compactMap { Data(base64Encoded: $0).map(Array.init) }
        return try ClusterNodeCredentials(
            nodeID: name, certificateDER: Array(certificate), privateKeyDER: Array(key), trustedRootsDER: roots)
    }
}

/// Why DR replication failed, in words safe for logs and error bodies.
enum DRError: Error, Equatable {
    case malformedState
    case refused(String)
    case unexpectedAnswer
    case baselineTooLarge(Int)
}
