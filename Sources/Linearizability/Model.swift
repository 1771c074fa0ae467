/// A sequential specification of an object, for checking that a concurrent history is linearizable.
///
/// `step` must be a pure function. With a known output it returns the next state only if the sequential
/// object could produce that output from `state`; with `output == nil` (unknown outcome) it returns the state
/// after the operation takes effect. `partition` may split a history into independent sub-histories (e.g. by
/// key) that are checked separately, which is sound when the object is a product of independent objects.
public protocol Model: Sendable {
    associatedtype State: Hashable & Sendable
    associatedtype Input: Sendable
    associatedtype Output: Sendable

    var initialState: State { get }
    func step(_ state: State, _ input: Input, _ output: Output?) -> State?
    func partition(_ history: [Operation<Input, Output>]) -> [[Operation<Input, Output>]]
    /// A short description of an operation, for reports.
    func describe(_ operation: Operation<Input, Output>) -> String
}

extension Model {
    public func partition(_ history: [Operation<Input, Output>]) -> [[Operation<Input, Output>]] { [history] }

    public func describe(_ operation: Operation<Input, Output>) -> String {
        let output = operation.output.map { "\($0)" } ?? "?"
        let end = operation.returnTime.map(String.init) ?? "inf"
        return "client \(operation.clientID) [\(operation.callTime), \(end)] \(operation.input) -> \(output)"
    }
}
