import CLMDB
import Foundation
import Testing
@testable import LMDB

@Suite struct MapGrowthTests {
    @Test func fullMapGrowsAndTheWriteIsRetried() throws {
        let temp = TemporaryDirectory()
        defer { temp.remove() }
        let configuration = Environment.Configuration(mapSize: 128 << 10, maximumMapSize: 64 << 20)
        let environment = try Environment(path: temp.path(), configuration: configuration)
        let database = try environment.openDatabase("kv")
        let initial = environment.mapSize
        var attempts = 0
        let value = [UInt8](repeating: 0x5A, count: 4096)
        try environment.write { transaction throws in
            attempts += 1
            for i in 0..<512 {  // about 2 MiB, far past the 128 KiB map
                try transaction.put(Array("k\(i)".utf8), value, in: database)
            }
        }
        #expect(attempts > 1)
        #expect(environment.mapSize > initial)
        try environment.read { transaction throws in
            #expect(try transaction.count(in: database) == 512)
            #expect(try transaction.get(Array("k511".utf8), in: database) == value)
        }
    }

    @Test func growthStopsAtTheMaximumWithoutCorruption() throws {
        let temp = TemporaryDirectory()
        defer { temp.remove() }
        let configuration = Environment.Configuration(mapSize: 128 << 10, maximumMapSize: 512 << 10)
        do {
            let environment = try Environment(path: temp.path(), configuration: configuration)
            let database = try environment.openDatabase("kv")
            try environment.write { try $0.put(Array("before".utf8), [1, 2, 3], in: database) }
            do {
                try environment.write { transaction throws in
                    try transaction.put(Array("huge".utf8), [UInt8](repeating: 1, count: 1 << 20), in: database)
                }
                Issue.record("a 1 MiB value fit in a 512 KiB map")
            } catch let error as LMDBError {
                guard case .mapFull(let mapSize, let maximum) = error else {
                    Issue.record("expected mapFull, got \(error)")
                    return
                }
                #expect(mapSize == 512 << 10 && maximum == 512 << 10)
                #expect(error.code == MDB_MAP_FULL)
            }
            // Still usable, nothing of the failed write visible.
            try environment.write { try $0.put(Array("after".utf8), [4], in: database) }
            try environment.read { transaction throws in
                #expect(try transaction.get(Array("huge".utf8), in: database) == nil)
                #expect(try transaction.get(Array("before".utf8), in: database) == [1, 2, 3])
            }
        }
        let reopened = try Environment(path: temp.path(), configuration: configuration)
        let database = try reopened.openDatabase("kv")
        try reopened.read { transaction throws in
            #expect(try transaction.get(Array("before".utf8), in: database) == [1, 2, 3])
            #expect(try transaction.get(Array("after".utf8), in: database) == [4])
        }
    }

    @Test func swallowedMapFullStillRetries() throws {
        let temp = TemporaryDirectory()
        defer { temp.remove() }
        let configuration = Environment.Configuration(mapSize: 128 << 10, maximumMapSize: 16 << 20)
        let environment = try Environment(path: temp.path(), configuration: configuration)
        let database = try environment.openDatabase("kv")
        var attempts = 0
        try environment.write { transaction throws in
            attempts += 1
            // A careless body that ignores errors must not commit a broken transaction.
            try? transaction.put(Array("big".utf8), [UInt8](repeating: 7, count: 1 << 20), in: database)
        }
        #expect(attempts > 1)
        try environment.read { transaction throws in
            #expect(try transaction.get(Array("big".utf8), in: database)?.count == 1 << 20)
        }
    }

    @Test func concurrentReadersAndAGrowingWriterAgree() throws {
        let temp = TemporaryDirectory()
        defer { temp.remove() }
        let configuration = Environment.Configuration(mapSize: 128 << 10, maximumMapSize: 256 << 20)
        let environment = try Environment(path: temp.path(), configuration: configuration)
        let database = try environment.openDatabase("kv")
        let failures = Counter()
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for round in 0..<40 {
                do {
                    if worker < 2 {
                        let value = [UInt8](repeating: UInt8(worker), count: 8192)
                        try environment.write { transaction throws in
                            try transaction.put(Array("w\(worker)/\(round)".utf8), value, in: database)
                        }
                    } else {
                        try environment.read { transaction throws in
                            for key in try transaction.keys(in: database, prefix: Array("w".utf8)) {
                                let value = try transaction.get(key, in: database)
                                if value?.count != 8192 { failures.increment() }
                            }
                        }
                    }
                } catch {
                    failures.increment()
                }
            }
        }
        #expect(failures.value == 0)
        #expect(try environment.read { try $0.count(in: database) } == 80)
    }
}

/// A thread-safe counter for tests that run on many threads.
final class Counter: @unchecked Sendable {
    // @unchecked: every access goes through `lock`.
    private let lock = NSLock()
    private var count = 0

    func increment() {
        lock.lock()
        count += 1
        lock.unlock()
    }

    var value: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }
}
