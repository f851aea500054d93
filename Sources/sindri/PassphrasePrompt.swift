import Foundation
import SindriBackup
#if canImport(Glibc)
import Glibc
import SindriSystem
#endif

/// Reads a passphrase from the controlling terminal with echo off, as `age` and `ssh` do: the
/// terminal, not standard input, so that `sindri restore - < archive` and `sindri backup -o -`
/// can still ask.
enum PassphrasePrompt {
    /// Whether there is a terminal to ask on.
    static var terminalAvailable: Bool {
        let descriptor = open("/dev/tty", O_RDWR | O_NOCTTY)
        if descriptor < 0 { return false }
        close(descriptor)
        return true
    }

    /// Shows `prompt` on the terminal and reads one line without echoing it.
    ///
    /// - Throws: `SindriError` `.invalidArgument` when there is no terminal, `.cancelled`
    ///   when the input ends before a line does.
    static func read(_ prompt: String) throws -> [UInt8] {
        let descriptor = open("/dev/tty", O_RDWR | O_NOCTTY)
        guard descriptor >= 0 else {
            throw SindriError(.invalidArgument, "no terminal to ask for the passphrase on")
        }
        defer { close(descriptor) }
        var saved = termios()
        let hasAttributes = tcgetattr(descriptor, &saved) == 0
        if hasAttributes {
            var silent = saved
            silent.c_lflag &= ~tcflag_t(ECHO)
            silent.c_lflag |= tcflag_t(ECHONL)
            _ = tcsetattr(descriptor, TCSAFLUSH, &silent)
        }
        defer { if hasAttributes { _ = tcsetattr(descriptor, TCSAFLUSH, &saved) } }
        let promptBytes = Array(prompt.utf8)
        _ = promptBytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let got = Glibc.read(descriptor, &byte, 1)
            if got < 0 && errno == EINTR { continue }
            if got <= 0 {
                throw SindriError(.cancelled, "no passphrase was entered")
            }
            if byte == 0x0A { break }
            line.append(byte)
        }
        if line.last == 0x0D { line.removeLast() }
        return line
    }
}
