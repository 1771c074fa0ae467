import ArgumentParser

/// `-non-interactive`: never prompt; fail instead of waiting for a terminal that automation does not have.
struct InteractionOption: ParsableArguments {
    @Flag(name: .customLong("non-interactive", withSingleDash: true),
          help: "Never prompt for input; fail if a value would have to be asked for.")
    var nonInteractive = false
}
