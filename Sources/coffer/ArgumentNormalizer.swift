/// Rewrites a command line so ArgumentParser accepts everything the Vault CLI accepts: `--flag` and `--flag=v`
/// become `-flag` / `-flag=v` (Vault's Go flag package treats one and two dashes alike). `-h`, `-help` and
/// `--help` all ask for help. Nothing after a bare `--` is touched.
enum ArgumentNormalizer {
    static func normalize(_ arguments: [String]) -> [String] {
        var result: [String] = []
        var passthrough = false
        for argument in arguments {
            if passthrough {
                result.append(argument)
                continue
            }
            if argument == "--" {
                passthrough = true
                result.append(argument)
                continue
            }
            if argument == "-help" || argument == "--help" || argument == "-h" {
                result.append("--help")
                continue
            }
            if argument.hasPrefix("--"), argument.count > 2 {
                result.append(String(argument.dropFirst()))
                continue
            }
            result.append(argument)
        }
        return result
    }
}
