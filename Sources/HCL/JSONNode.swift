/// A JSON value with the position where it starts; object members keep their order and duplicates.
struct JSONNode: Sendable {
    struct Member: Sendable {
        var key: String
        var keyPosition: SourcePosition
        var value: JSONNode
    }

    enum Kind: Sendable {
        case string(String)
        case number(HCLNumber)
        case bool(Bool)
        case null
        case array([JSONNode])
        case object([Member])
    }

    var kind: Kind
    var position: SourcePosition

    var isObject: Bool {
        if case .object = kind { return true }
        return false
    }
}
