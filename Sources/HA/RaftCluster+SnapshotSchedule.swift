import Barrier
import Core
import Foundation

/// Automated snapshots: `sys/storage/raft/snapshot-auto/config/<name>` (read, write, delete, list) and
/// `.../status/<name>`, in the shape of Vault's API, with local storage only. The active node runs due
/// schedules once a second (`runSnapshotSchedules`); an archive is written to a hidden temporary file in the
/// target directory (0600, fsync'd), renamed into place and the directory fsync'd, so a file with the final
/// name is always complete. A failure is logged, counted and shown in the status; it never stops the node.
/// Each attempt's status is stored through the barrier, so after a failover the new active node keeps the
/// schedule's rhythm and error count, and the status names the node whose disk holds the last archive.
extension RaftCluster {
    public func setSnapshotScheduleObserver(_ observer: @escaping @Sendable (String, Bool) -> Void) {
        snapshotState.scheduleObserver = observer
    }

    /// Schedules from the server config; run by this node whenever it is active.
    public func setConfiguredSnapshotSchedules(_ schedules: [SnapshotSchedule]) {
        snapshotState.configuredSchedules = schedules
    }

    func handleSchedule(_ request: Request, runtime: RaftRuntime) async throws(CoreError) -> Response? {
        guard let barrier else { throw CoreError.sealed }
        let rest = String(request.path.dropFirst("sys/storage/raft/snapshot-auto/".count))
        if rest == "config" || rest == "config/" {
            guard request.operation == .list else { throw CoreError.methodNotAllowed }
            let names = try await loadSchedules(barrier).map(\.name).sorted()
            return .data(["keys": .array(names.map { .string($0) })])
        }
        if rest.hasPrefix("config/") {
            let name = String(rest.dropFirst("config/".count))
            let key = SnapshotSchedule.storagePrefix + name
            switch request.operation {
            case .read:
                guard let schedule = try await loadSchedule(barrier, name: name) else { throw CoreError.notFound([]) }
                return .data(schedule.json)
            case .update, .create:
                let existing = try await loadSchedule(barrier, name: name)
                let schedule = try SnapshotSchedule.parse(name: name, request.data, existing: existing)
                do {
                    try await barrier.put(key, Array(JSONEncoder().encode(schedule)))
                } catch {
                    throw CoreError.internal("could not store the snapshot schedule")
                }
                if existing?.interval != schedule.interval { snapshotState.schedules[name] = nil }
                return .noContent
            case .delete:
                do {
                    try await barrier.delete(key)
                    try await barrier.delete(SnapshotSchedule.statusPrefix + name)
                } catch {
                    throw CoreError.internal("could not delete the snapshot schedule")
                }
                snapshotState.schedules[name] = nil
                return .noContent
            default:
                throw CoreError.methodNotAllowed
            }
        }
        if rest.hasPrefix("status/") {
            guard request.operation == .read else { throw CoreError.methodNotAllowed }
            let name = String(rest.dropFirst("status/".count))
            guard let schedule = try await loadSchedule(barrier, name: name) else { throw CoreError.notFound([]) }
            var status = snapshotState.schedules[name]
            if status == nil { status = await storedStatus(barrier, name: name) }
            return .data(
                (status ?? SnapshotScheduleStatus(nextRun: Date().addingTimeInterval(TimeInterval(schedule.interval))))
                    .json)
        }
        return nil
    }

    private func loadSchedule(_ barrier: Barrier, name: String) async throws(CoreError) -> SnapshotSchedule? {
        if let configured = snapshotState.configuredSchedules.first(where: { $0.name == name }) { return configured }
        do {
            guard let bytes = try await barrier.get(SnapshotSchedule.storagePrefix + name) else { return nil }
            return try JSONDecoder().decode(SnapshotSchedule.self, from: Data(bytes))
        } catch {
            throw CoreError.internal("could not read the snapshot schedule")
        }
    }

    /// The status the last active node stored for `name`; nil when there is none or it cannot be read.
    private func storedStatus(_ barrier: Barrier, name: String) async -> SnapshotScheduleStatus? {
        guard let bytes = try? await barrier.get(SnapshotSchedule.statusPrefix + name) else { return nil }
        return try? JSONDecoder().decode(SnapshotScheduleStatus.self, from: Data(bytes))
    }

    private func loadSchedules(_ barrier: Barrier) async throws(CoreError) -> [SnapshotSchedule] {
        let names: [String]
        do {
            names = try await barrier.list(prefix: SnapshotSchedule.storagePrefix)
        } catch {
            throw CoreError.internal("could not list the snapshot schedules")
        }
        var schedules = snapshotState.configuredSchedules
        for name in names where !name.hasSuffix("/") && !schedules.contains(where: { $0.name == name }) {
            if let schedule = try await loadSchedule(barrier, name: name) { schedules.append(schedule) }
        }
        return schedules
    }

    /// One round on the active node: runs every schedule that is due, one after another.
    func runSnapshotSchedules(now: Date = Date()) async {
        guard activeSince != nil, let runtime, let barrier, !snapshotState.scheduleRunning else {
            if activeSince == nil { snapshotState.schedules = [:] }
            return
        }
        snapshotState.scheduleRunning = true
        defer { snapshotState.scheduleRunning = false }
        guard let schedules = try? await loadSchedules(barrier) else { return }
        let names = Set(schedules.map(\.name))
        snapshotState.schedules = snapshotState.schedules.filter { names.contains($0.key) }
        for schedule in schedules {
            let interval = TimeInterval(schedule.interval)
            var known = snapshotState.schedules[schedule.name]
            if known == nil { known = await storedStatus(barrier, name: schedule.name) }
            var status = known ?? SnapshotScheduleStatus(nextRun: now.addingTimeInterval(interval))
            // A shortened interval takes effect at once, not after the old, longer wait.
            status.nextRun = min(status.nextRun, (status.lastEnd ?? now).addingTimeInterval(interval))
            guard now >= status.nextRun else {
                snapshotState.schedules[schedule.name] = status
                continue
            }
            status.lastStart = Date()
            do {
                let file = try await takeScheduledSnapshot(schedule, runtime: runtime)
                status.lastSuccess = Date()
                status.lastFile = file
                status.lastError = nil
                status.consecutiveErrors = 0
                snapshotState.scheduleObserver?(schedule.name, true)
                logger.info("automated snapshot written", metadata: ["schedule": "\(schedule.name)", "file": "\(file)"])
            } catch {
                status.lastError = "\(error)"
                status.consecutiveErrors += 1
                snapshotState.scheduleObserver?(schedule.name, false)
                logger.error(
                    "automated snapshot failed",
                    metadata: ["schedule": "\(schedule.name)", "error": "\(error)",
                               "consecutive_errors": "\(status.consecutiveErrors)"])
            }
            status.lastEnd = Date()
            status.lastNode = settings.name.rawValue
            status.nextRun = max(status.nextRun.addingTimeInterval(interval), Date())
            snapshotState.schedules[schedule.name] = status
            do {
                try await barrier.put(SnapshotSchedule.statusPrefix + schedule.name, Array(JSONEncoder().encode(status)))
            } catch {
                logger.warning("could not store the snapshot schedule status", metadata: ["schedule": "\(schedule.name)"])
            }
        }
    }

    /// Writes one archive for `schedule` atomically and prunes old ones; returns the file's path.
    private func takeScheduledSnapshot(_ schedule: SnapshotSchedule, runtime: RaftRuntime) async throws -> String {
        let directory = schedule.pathPrefix
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let index = await runtime.status.applied
        let name = schedule.fileName(at: Date(), index: index)
        let final = (directory as NSString).appendingPathComponent(name)
        let temporary = (directory as NSString).appendingPathComponent("." + name + ".tmp")
        do {
            _ = try await writeArchive(to: temporary, runtime: runtime)
            guard rename(temporary, final) == 0 else {
                throw SnapshotArchiveError.io("cannot rename into \(directory): errno \(errno)")
            }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY)
        if descriptor >= 0 {
            _ = fsync(descriptor)
            close(descriptor)
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for old in schedule.toPrune(names) {
            try? FileManager.default.removeItem(atPath: (directory as NSString).appendingPathComponent(old))
        }
        return final
    }
}
