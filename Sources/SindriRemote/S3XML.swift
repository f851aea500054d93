import Foundation

/// The few elements we read from S3's XML answers, found by name.
///
/// S3 answers are small, flat and machine-written; a scanner that returns the text of every
/// `<Name>…</Name>` in order is all the parsing they need, and it cannot be led anywhere by a
/// hostile document (no entities beyond the five predefined ones, no external references).
enum S3XML {
    /// The unescaped text of every element `name`, in document order.
    static func values(_ name: String, in xml: String) -> [String] {
        var out: [String] = []
        let open = "<\(name)>"
        let close = "</\(name)>"
        var rest = xml[...]
        while let start = rest.range(of: open) {
            let after = rest[start.upperBound...]
            guard let end = after.range(of: close) else { break }
            out.append(unescape(String(after[..<end.lowerBound])))
            rest = after[end.upperBound...]
        }
        return out
    }

    static func first(_ name: String, in xml: String) -> String? { values(name, in: xml).first }

    /// The contents of every `<name>…</name>` block (still XML), for lists of records.
    static func blocks(_ name: String, in xml: String) -> [String] {
        var out: [String] = []
        let open = "<\(name)>"
        let close = "</\(name)>"
        var rest = xml[...]
        while let start = rest.range(of: open) {
            let after = rest[start.upperBound...]
            guard let end = after.range(of: close) else { break }
            out.append(String(after[..<end.lowerBound]))
            rest = after[end.upperBound...]
        }
        return out
    }

    static func unescape(_ text: String) -> String {
        guard text.contains("&") else { return text }
        return text.replacingOccurrences(of: "&quot;", with: "\"")
            .replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&lt;", with: "<")
            .replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&#34;", with: "\"")
            .replacingOccurrences(of: "&amp;", with: "&")
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;")
            .replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }
}
