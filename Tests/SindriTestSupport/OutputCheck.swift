import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Output checks shared by the tests.
package enum OutputCheck {
    /// The exit statuses a run may end with when it does not crash (no signal, no trap).
    package static let orderlyStatuses: Set<Int32> = [0, 1, 3, 4, 5]

    /// Whether either stream holds a raw ESC byte.
    package static func hasRawEscape(_ output: ProcessOutput) -> Bool {
        output.stdout.contains(0x1B) || output.stderr.utf8.contains(0x1B)
    }

    /// Lines of both streams, for "a name broke the line" checks.
    package static func lines(_ output: ProcessOutput) -> [String] {
        (output.stdoutText + "\n" + output.stderr).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    package static func combined(_ output: ProcessOutput) -> String { output.stdoutText + "\n" + output.stderr }
}
