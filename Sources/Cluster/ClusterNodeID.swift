/// The name of a cluster node as the transport sees it.
///
/// A node id is a lowercase DNS label (`[a-z0-9]`, then up to 62 of `[a-z0-9-]`), so it can be written into a
/// certificate as a DNS subject alternative name and compared byte for byte. Construction validates; a value is
/// always well formed. Distinct from Raft's numeric `NodeID`: the runtime maps one to the other from the cluster
/// configuration (Vault's `node_id` is a string too).
public struct ClusterNodeID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The validated id.
    public let rawValue: String

    /// Creates a node id, or returns `nil` when `rawValue` is not a lowercase DNS label.
    public init?(_ rawValue: String) {
        guard Self.isWellFormed(rawValue) else { return nil }
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    public static func < (lhs: ClusterNodeID, rhs: ClusterNodeID) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The URI subject alternative name the cluster CA writes into this node's certificate.
    public var certificateURI: String { "coffer-node://\(rawValue)" }

    static func isWellFormed(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard (1...63).contains(bytes.count) else { return false }
        for (index, byte) in bytes.enumerated() {
            let isAlphanumeric = (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            if isAlphanumeric { continue }
            if byte == UInt8(ascii: "-") && index != 0 { continue }
            return false
        }
        return true
    }
}
