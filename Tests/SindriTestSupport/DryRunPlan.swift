import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The `--dry-run` plan printed on stdout: `ACTION<TAB>PATH` lines, keyed by home-relative path.
package struct DryRunPlan: Sendable {
    package var actions: [String: String] = [:]

    package init(_ output: ProcessOutput, home: String) {
        for line in output.stdoutText.split(separator: "\n") {
            guard let tab = line.firstIndex(of: "\t") else { continue }
            let action = String(line[..<tab]).trimmingCharacters(in: .whitespaces)
            var path = String(line[line.index(after: tab)...]).trimmingCharacters(in: .whitespaces)
            if path.hasPrefix(home + "/") { path.removeFirst(home.count + 1) }
            if path.hasPrefix("./") { path.removeFirst(2) }
            while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
            actions[path] = action
        }
    }

    package subscript(path: String) -> String? { actions[path] }
}
