/// A JSON object whose members keep their insertion order; a later `set` of an existing key replaces the
/// value in place.
struct JSONObject: Sendable, Equatable {
    private(set) var members: [(key: String, value: JSONValue)] = []

    init() {}

    init(_ members: [(String, JSONValue)]) {
        for (key, value) in members {
            set(key, value)
        }
    }

    static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.members.count == rhs.members.count
            && zip(lhs.members, rhs.members).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }

    var isEmpty: Bool { members.isEmpty }
    var count: Int { members.count }
    var keys: [String] { members.map(\.key) }

    subscript(key: String) -> JSONValue? {
        members.first { $0.key == key }?.value
    }

    mutating func set(_ key: String, _ value: JSONValue) {
        if let index = members.firstIndex(where: { $0.key == key }) {
            members[index].value = value
        } else {
            members.append((key, value))
        }
    }

    /// The members sorted by key, as Go's encoder orders a map.
    var sortedMembers: [(key: String, value: JSONValue)] {
        members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
    }
}
