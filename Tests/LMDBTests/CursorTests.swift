import Foundation
import Testing
@testable import LMDB

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

@Suite struct CursorTests {
    func withFilledDatabase(_ body: (Environment, Database) throws -> Void) throws {
        let temp = TemporaryDirectory()
        defer { temp.remove() }
        let environment = try Environment(path: temp.path())
        let database = try environment.openDatabase("kv")
        try environment.write { transaction throws in
            for key in ["b/2", "a", "b/1", "ba", "b", "c/x/y", "\u{E9}"] {
                try transaction.put(bytes(key), bytes("v:" + key), in: database)
            }
        }
        try body(environment, database)
    }

    @Test func cursorWalksInByteOrder() throws {
        try withFilledDatabase { environment, database in
            let keys = try environment.read { transaction throws in
                try transaction.withCursor(on: database) { cursor throws in
                    var keys = [String]()
                    var entry = try cursor.first()
                    while let current = entry {
                        keys.append(String(decoding: current.key, as: UTF8.self))
                        #expect(current.value == bytes("v:") + current.key)
                        entry = try cursor.next()
                    }
                    return keys
                }
            }
            #expect(keys == ["a", "b", "b/1", "b/2", "ba", "c/x/y", "\u{E9}"])
        }
    }

    @Test func seekFindsTheFirstKeyAtOrAfter() throws {
        try withFilledDatabase { environment, database in
            try environment.read { transaction throws in
                try transaction.withCursor(on: database) { cursor throws in
                    #expect(try cursor.seek(atLeast: bytes("b/"))?.key == bytes("b/1"))
                    #expect(try cursor.seekKey(atLeast: bytes("bb")) == bytes("c/x/y"))
                    #expect(try cursor.seekKey(atLeast: bytes("\u{FF}")) == nil)
                    #expect(try cursor.seekKey(atLeast: []) == bytes("a"))
                    #expect(try cursor.nextKey() == bytes("b"))
                }
            }
        }
    }

    @Test func prefixScanStopsAtThePrefixEnd() throws {
        try withFilledDatabase { environment, database in
            try environment.read { transaction throws in
                #expect(try transaction.keys(in: database, prefix: bytes("b/")) == [bytes("b/1"), bytes("b/2")])
                #expect(try transaction.keys(in: database, prefix: bytes("b")).count == 4)
                #expect(try transaction.keys(in: database, prefix: bytes("zz")) == [])
                #expect(try transaction.keys(in: database).count == 7)
                var seen = [[UInt8]]()
                try transaction.scan(database, prefix: bytes("b")) { key, value in
                    seen.append(key)
                    #expect(value == bytes("v:") + key)
                    return seen.count < 2
                }
                #expect(seen == [bytes("b"), bytes("b/1")])
            }
        }
    }

    @Test func cursorsCannotOutliveTheirClosure() throws {
        try withFilledDatabase { environment, database in
            let escaped = try environment.read { transaction throws in
                try transaction.withCursor(on: database) { $0 }
            }
            #expect(throws: LMDBError.transactionFinished) { try escaped.first() }
        }
    }
}
