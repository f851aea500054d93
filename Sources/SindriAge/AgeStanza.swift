/// One recipient stanza of an age header: `-> TYPE ARG...` and a base64 body.
public struct AgeStanza: Equatable, Sendable {
    /// The type and further arguments, e.g. `["X25519", "<share>"]`.
    public var arguments: [String]
    /// The decoded body.
    public var body: [UInt8]

    public init(arguments: [String], body: [UInt8]) {
        self.arguments = arguments
        self.body = body
    }

    /// The stanza's type (its first argument).
    public var type: String { arguments.first ?? "" }

    /// The stanza's canonical encoding: the argument line, then the body in lines of 64 base64
    /// columns, always ending with a line shorter than 64 (empty when the body fills the last).
    func encoded() -> [UInt8] {
        var out = Array("-> ".utf8)
        out += Array(arguments.joined(separator: " ").utf8)
        out.append(0x0A)
        let text = Array(AgeBase64.encode(body).utf8)
        var start = 0
        while true {
            let end = min(start + 64, text.count)
            out += text[start..<end]
            out.append(0x0A)
            if end - start < 64 { break }
            start = end
        }
        return out
    }

    /// Whether `argument` is a valid stanza argument: non-empty printable ASCII without spaces.
    static func isValidArgument<Bytes: Collection<UInt8>>(_ argument: Bytes) -> Bool {
        !argument.isEmpty && argument.allSatisfy { $0 >= 33 && $0 <= 126 }
    }
}
