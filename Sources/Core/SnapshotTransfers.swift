/// The files behind the streaming snapshot endpoints (`sys/storage/raft/snapshot`, `.../snapshot-force`),
/// which carry archives far larger than a request or response the core handles as JSON.
///
/// The seam: the HTTP layer sends each snapshot call through the core as an ordinary request (token, ACL,
/// audit, active-node check all apply); for these paths the cluster answers with a ticket, and the HTTP layer
/// redeems the ticket here for the file it streams out (save) or streams the request body into (restore).
/// Tickets are random, single-use and never leave the process.
public protocol SnapshotTransfers: Sendable {
    /// The archive saved under `ticket`, handed out once; the caller removes the file once it is streamed.
    func takeArchive(_ ticket: String) async -> SnapshotArchiveFile?
    /// Where the upload for `ticket` goes (the caller creates it, mode 0600).
    func uploadPath(_ ticket: String) async -> String?
    /// The active node's API address (for sending a standby's snapshot call there), if known.
    func activeNodeAddress() async -> String?
}

/// A finished archive on local disk.
public struct SnapshotArchiveFile: Sendable, Equatable {
    public var path: String
    public var size: UInt64

    public init(path: String, size: UInt64) {
        self.path = path
        self.size = size
    }
}

/// The response fields that carry snapshot tickets from the cluster to the HTTP layer.
public enum SnapshotTicketField {
    public static let archive = "coffer_archive_ticket"
    public static let upload = "coffer_upload_ticket"
}
