/// One line of generated text: literal bytes with slots such as `$i` (identifier) filled in at generation time.
///
/// Slots: `$i` identifier, `$K` CONSTANT_CASE identifier, `$T` type name, `$m` module, `$n` number, `$s` short
/// phrase, `$c` comment words, `$p` prose sentence, `$v` version, `$h` 40 hex digits, `$H` 64 hex digits,
/// `$b` base64 digest, `$u` UUID, `$d` ISO date-time, `$w` word, `$k` package name, `$N` title-case words, `$$` `$`.
struct LineTemplate: Sendable {
    /// The parsed pieces of the line, without the trailing newline (the generator adds it).
    let parts: [TemplatePart]

    /// Parses `text`; an unknown slot letter is kept literally.
    init(_ text: String) {
        var parts: [TemplatePart] = []
        var literal: [UInt8] = []
        var bytes = Array(text.utf8)[...]
        while let byte = bytes.popFirst() {
            guard byte == UInt8(ascii: "$"), let letter = bytes.first else {
                literal.append(byte)
                continue
            }
            guard let slot = TemplateSlot(letter: letter) else {
                literal.append(byte)
                if letter == UInt8(ascii: "$") { bytes.removeFirst() }
                continue
            }
            bytes.removeFirst()
            if !literal.isEmpty {
                parts.append(.literal(literal))
                literal.removeAll()
            }
            parts.append(.slot(slot))
        }
        if !literal.isEmpty { parts.append(.literal(literal)) }
        self.parts = parts
    }
}

/// A piece of a `LineTemplate`.
enum TemplatePart: Sendable {
    case literal([UInt8])
    case slot(TemplateSlot)
}

/// The values a template slot can take; see `LineTemplate` for the letters.
enum TemplateSlot: Sendable {
    case identifier, constant, typeName, module, number, phrase, comment, prose, version
    case hex40, hex64, base64Digest, uuid, date, word, package, title

    init?(letter: UInt8) {
        switch letter {
        case UInt8(ascii: "i"): self = .identifier
        case UInt8(ascii: "K"): self = .constant
        case UInt8(ascii: "T"): self = .typeName
        case UInt8(ascii: "m"): self = .module
        case UInt8(ascii: "n"): self = .number
        case UInt8(ascii: "s"): self = .phrase
        case UInt8(ascii: "c"): self = .comment
        case UInt8(ascii: "p"): self = .prose
        case UInt8(ascii: "v"): self = .version
        case UInt8(ascii: "h"): self = .hex40
        case UInt8(ascii: "H"): self = .hex64
        case UInt8(ascii: "b"): self = .base64Digest
        case UInt8(ascii: "u"): self = .uuid
        case UInt8(ascii: "d"): self = .date
        case UInt8(ascii: "w"): self = .word
        case UInt8(ascii: "k"): self = .package
        case UInt8(ascii: "N"): self = .title
        default: return nil
        }
    }
}

/// A line that opens a block, with the line that closes it (nil when indentation alone closes it, as in Python).
struct BlockOpener: Sendable {
    let line: LineTemplate
    let closer: LineTemplate?
    let indentsBody: Bool

    init(_ line: String, closer: String? = nil, indentsBody: Bool = true) {
        self.line = LineTemplate(line)
        self.closer = closer.map(LineTemplate.init)
        self.indentsBody = indentsBody
    }
}
