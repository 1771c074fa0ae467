import Testing

@testable import CofferServer

/// `snapshot_schedule "NAME" { ... }` stanzas: read with their defaults, refused with the line when incomplete.
@Suite struct SnapshotScheduleConfigTests {
    static let storage = "storage \"inmem\" {}\n"

    @Test func aStanzaIsReadWithItsDefaults() throws {
        let config = try ServerConfig.parse(Self.storage + """
            snapshot_schedule "hourly" {
              interval    = "1h"
              path_prefix = "/var/backups/coffer"
            }
            snapshot_schedule "daily" {
              interval    = "24h"
              retain      = 7
              path_prefix = "/srv/snap"
              file_prefix = "daily"
            }
            """)
        #expect(config.snapshotSchedules == [
            SnapshotScheduleConfig(name: "hourly", interval: 3600, retain: 1, pathPrefix: "/var/backups/coffer",
                                   filePrefix: nil),
            SnapshotScheduleConfig(name: "daily", interval: 86400, retain: 7, pathPrefix: "/srv/snap",
                                   filePrefix: "daily"),
        ])
    }

    @Test(arguments: [
        ("snapshot_schedule \"a\" { path_prefix = \"/x\" }", "positive interval"),
        ("snapshot_schedule \"a\" { interval = \"1h\" }", "path_prefix"),
        ("snapshot_schedule \"a\" { interval = \"1h\"\n path_prefix = \"rel\" }", "absolute"),
        ("snapshot_schedule \"a\" { interval = \"1h\"\n path_prefix = \"/x\"\n retain = 0 }", "retain"),
        ("snapshot_schedule \"a\" { interval = \"1h\"\n path_prefix = \"/x\"\n bucket = \"s3\" }", "bucket"),
        ("snapshot_schedule { interval = \"1h\" }", "needs a name"),
    ])
    func anIncompleteStanzaIsRefused(stanza: String, expected: String) {
        do {
            _ = try ServerConfig.parse(Self.storage + stanza)
            Issue.record("accepted: \(stanza)")
        } catch {
            #expect(error.message.contains(expected), "\(error.message)")
        }
    }
}
