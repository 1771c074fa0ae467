import ArgumentParser

/// `-field`: print one field of the answer, raw.
struct FieldOption: ParsableArguments {
    @Option(
        name: .customLong("field", withSingleDash: true),
        help: "Print only the named field, without decoration.")
    var field: String?
}
