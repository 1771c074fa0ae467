import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Asks for a secret (an unseal key share) without echoing it. Interactive: the prompt goes to stdout as in Vault,
/// the answer is read from `/dev/tty` with echo switched off and restored afterwards. When stdin is not a terminal
/// (a pipe from a script), one line is read from stdin and no prompt is printed; Vault refuses that case, Coffer
/// accepts it because unseal scripts rely on it.
enum SecretPrompt {
    static func read(prompt: String) throws(CLIError) -> String {
        if isatty(STDIN_FILENO) != 1 {
            guard let line = readLine(strippingNewline: true) else {
                throw .usage("No key given: stdin was empty")
            }
            return line.trimmingWhitespace()
        }
        let descriptor = open("/dev/tty", O_RDWR | O_NOCTTY)
        guard descriptor >= 0 else {
            throw .usage("Could not open the terminal to ask for the key: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        // Echo goes off before the prompt appears, and without flushing pending input, so a key typed (or
        // pasted) as soon as the prompt shows is neither echoed nor lost.
        var saved = termios()
        let haveSettings = tcgetattr(descriptor, &saved) == 0
        if haveSettings {
            var silent = saved
            silent.c_lflag &= ~tcflag_t(ECHO)
            silent.c_lflag |= tcflag_t(ICANON)
            _ = tcsetattr(descriptor, TCSANOW, &silent)
        }
        defer {
            if haveSettings {
                _ = tcsetattr(descriptor, TCSANOW, &saved)
            }
        }
        Console.raw(prompt)
        defer { Console.output("") }
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let count = Foundation.read(descriptor, &byte, 1)
            if count <= 0 || byte == 0x0A || byte == 0x0D {
                if count < 0 {
                    throw .usage("user canceled")
                }
                break
            }
            bytes.append(byte)
        }
        let text = String(decoding: bytes, as: UTF8.self).trimmingWhitespace()
        for index in bytes.indices {
            bytes[index] = 0
        }
        return text
    }

    /// Reads all of stdin (a key given as `-`).
    static func readStandardInput() -> String {
        String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self).trimmingWhitespace()
    }
}
