import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One `--json` stream, parsed line by line: every line must be a JSON object with a `message_type`.
package struct JSONStream {
    /// The objects in stream order.
    package var messages: [[String: Any]]
    /// Lines that were not a JSON object with a `message_type` (must be empty).
    package var badLines: [String]

    package init(_ data: Data) {
        messages = []
        badLines = []
        let text = String(decoding: data, as: UTF8.self)
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty { continue }
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  object["message_type"] is String else {
                badLines.append(String(line))
                continue
            }
            messages.append(object)
        }
        // The stream must end with a newline: a truncated last line is a bad line too.
        if !text.isEmpty, !text.hasSuffix("\n") { badLines.append("(no final newline)") }
    }

    package init(_ text: String) { self.init(Data(text.utf8)) }

    /// The messages of one type.
    package func of(_ type: String) -> [[String: Any]] {
        messages.filter { $0["message_type"] as? String == type }
    }

    /// The `message_type` of each line, in order.
    package var types: [String] { messages.compactMap { $0["message_type"] as? String } }
}
