import HCL

/// One entry of `allowed_parameters` or `denied_parameters`: a request parameter name (lower-cased, as Vault
/// compares them; `*` means any) and the values it may or may not take (empty means any value).
public struct ParameterConstraint: Sendable, Hashable {
    public var name: String
    public var values: [HCLValue]

    public init(name: String, values: [HCLValue]) {
        self.name = name
        self.values = values
    }
}
