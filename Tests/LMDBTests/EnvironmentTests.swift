import CLMDB
import Foundation
import Testing
@testable import LMDB

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

private func mode(of path: String) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
}

@Suite struct EnvironmentTests {
    @Test func createsPrivateDirectoryAndDataFiles() throws {
        let temp = TemporaryDirectory()
        defer { temp.remove() }
        let path = temp.path("nested/env")
        let environment = try Environment(path: path)
        _ = try environment.openDatabase("d")
        #expect(try mode(of: path) == 0o700)
        #expect(try mode(of: path + "/data.mdb") == 0o600)
        #expect(try mode(of: path + "/lock.mdb") == 0o600)
        #expect(environment.maxKeySize == 511)
    }

    @Test func putGetDeleteRoundTrip() throws {
        let temp = TemporaryDirectory()
        defer { temp.remove() }
        let environment = try Environment(path: temp.path())
        let database = try environment.openDatabase("kv")
        try environment.write { transaction throws in
            try transaction.put(bytes("a"), bytes("one"), in: database)
            try transaction.put(bytes("b"), [], in: database)
            #expect(try transaction.get(bytes("a"), in: database) == bytes("one"))
        }
        try environment.read { transaction throws in
            #expect(try transaction.get(bytes("a"), in: database) == bytes("one"))
            #expect(try transaction.get(bytes("b"), in: database) == [])
            #expect(try transaction.get(bytes("c"), in: database) == nil)
            #expect(try transaction.count(in: database) == 2)
        }
        let existed = try environment.write { try $0.delete(bytes("a"), in: database) }
        let existedAgain = try environment.write { try $0.delete(bytes("a"), in: database) }
        #expect(existed && !existedAgain)
        try environment.read { transaction throws in #expect(try transaction.get(bytes("a"), in: database) == nil) }
    }

    @Test func throwingWriteAbortsEverything() throws {
        struct Stop: Error {}
        let temp = TemporaryDirectory()
        defer { temp.remove() }
        let environment = try Environment(path: temp.path())
        let database = try environment.openDatabase("kv")
        try environment.write { try $0.put(bytes("kept"), [1], in: database) }
        #expect(throws: Stop.self) {
            try environment.write { transaction throws in
                try transaction.put(bytes("new"), [2], in: database)
                try transaction.delete(bytes("kept"), in: database)
                throw Stop()
            }
        }
        try environment.read { transaction throws in
            #expect(try transaction.get(bytes("new"), in: database) == nil)
            #expect(try transaction.get(bytes("kept"), in: database) == [1])
        }
    }

    @Test func transactionsCannotBeUsedAfterTheirClosure() throws {
        let temp = TemporaryDirectory()
        defer { temp.remove() }
        let environment = try Environment(path: temp.path())
        let database = try environment.openDatabase("kv")
        let escapedRead = try environment.read { $0 }
        let escapedWrite = try environment.write { $0 }
        #expect(throws: LMDBError.transactionFinished) { try escapedRead.get(bytes("x"), in: database) }
        #expect(throws: LMDBError.transactionFinished) { try escapedWrite.put(bytes("x"), [1], in: database) }
        #expect(LMDBError.transactionFinished.code == MDB_BAD_TXN)
    }

    @Test func commitsSurviveReopening() throws {
        let temp = TemporaryDirectory()
        defer { temp.remove() }
        do {
            let environment = try Environment(path: temp.path())
            let database = try environment.openDatabase("kv")
            try environment.write { try $0.put(bytes("durable"), bytes("yes"), in: database) }
        }
        let reopened = try Environment(path: temp.path())
        let database = try reopened.openDatabase("kv", create: false)
        try reopened.read { transaction throws in
            #expect(try transaction.get(bytes("durable"), in: database) == bytes("yes"))
        }
    }

    @Test func databasesAreSeparateKeySpaces() throws {
        let temp = TemporaryDirectory()
        defer { temp.remove() }
        let environment = try Environment(path: temp.path())
        let first = try environment.openDatabase("first")
        let second = try environment.openDatabase("second")
        try environment.write { try $0.put(bytes("k"), [1], in: first) }
        try environment.read { transaction throws in
            #expect(try transaction.get(bytes("k"), in: first) == [1])
            #expect(try transaction.get(bytes("k"), in: second) == nil)
        }
        #expect(throws: LMDBError.self) { try environment.openDatabase("missing", create: false) }
    }

    @Test func badKeysAreTypedErrors() throws {
        let temp = TemporaryDirectory()
        defer { temp.remove() }
        let environment = try Environment(path: temp.path())
        let database = try environment.openDatabase("kv")
        do {
            try environment.write { try $0.put([], [1], in: database) }
            Issue.record("an empty key was accepted")
        } catch let error as LMDBError {
            #expect(error.code == MDB_BAD_VALSIZE)
            #expect(error.description.contains("mdb_put"))
        }
        #expect(throws: LMDBError.self) {
            try environment.write { try $0.put([UInt8](repeating: 1, count: 512), [1], in: database) }
        }
        try environment.write { try $0.put([UInt8](repeating: 1, count: 511), [1], in: database) }
    }

    @Test func unusablePathsAreTypedErrors() throws {
        let temp = TemporaryDirectory()
        defer { temp.remove() }
        try FileManager.default.createDirectory(atPath: temp.root, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: temp.path("file"), contents: Data([1]))
        #expect(throws: LMDBError.invalidPath(path: temp.path("file"), errno: ENOTDIR)) {
            try Environment(path: temp.path("file"))
        }
        #expect(throws: LMDBError.invalidPath(path: temp.path("absent"), errno: ENOENT)) {
            try Environment(path: temp.path("absent"), configuration: .init(flags: .readOnly))
        }
    }

    @Test func readersSeeASnapshotWhileAWriterCommits() throws {
        let temp = TemporaryDirectory()
        defer { temp.remove() }
        let environment = try Environment(path: temp.path())
        let database = try environment.openDatabase("kv")
        try environment.write { try $0.put(bytes("k"), bytes("old"), in: database) }
        try environment.read { transaction throws in
            let done = DispatchSemaphore(value: 0)
            Thread {
                try? environment.write { try $0.put(bytes("k"), bytes("new"), in: database) }
                done.signal()
            }.start()
            done.wait()
            #expect(try transaction.get(bytes("k"), in: database) == bytes("old"))
        }
        try environment.read { transaction throws in
            #expect(try transaction.get(bytes("k"), in: database) == bytes("new"))
        }
    }
}
