/// Writes program text, Markdown and text configs of an exact size from a `TextProfile` and a seed.
///
/// Each file gets its own small identifier set drawn from `Vocabulary`, so names recur within a file the way they do
/// in real code; that recurrence, the fixed line shapes and the indentation are what gzip finds.
struct TextGenerator: Sendable {
    /// The language this generator writes.
    let language: TextLanguage
    private let profile: TextProfile
    private let builtinTypes: [[UInt8]]
    private let modules: [[UInt8]]

    /// Creates the generator for `language`, encoding its word lists once.
    init(language: TextLanguage) {
        self.language = language
        profile = TextProfile.profile(for: language)
        builtinTypes = profile.builtinTypes.map { Array($0.utf8) }
        modules = profile.modules.map { Array($0.utf8) }
    }

    /// Returns exactly `size` bytes of text ending in a newline (unless `size` is 0).
    func generate(size: Int, seed: UInt64) -> [UInt8] {
        var rng = Xoshiro256StarStar(seed: seed)
        var output: [UInt8] = []
        output.reserveCapacity(size + 1024)
        let words = FileWords(profile: profile, rng: &rng)
        var writer = TemplateExpander(
            profile: profile, builtinTypes: builtinTypes, modules: modules, rng: rng, words: words)
        writer.writeHeader(into: &output)
        while output.count < size {
            let blockStart = output.count
            writer.writeBlock(depth: 0, into: &output)
            if profile.endsOnWholeBlock, output.count > size, blockStart > 0, blockStart < size {
                // Keep every line well-formed (JSON lines must parse): drop the partial block, pad with spaces.
                output.removeLast(output.count - blockStart)
                output.append(contentsOf: repeatElement(UInt8(ascii: " "), count: size - blockStart))
            }
        }
        output.removeLast(output.count - size)
        if size > 0 { output[size - 1] = UInt8(ascii: "\n") }
        return output
    }
}

/// The identifiers, constants and type names one file uses.
struct FileWords: Sendable {
    var identifiers: [[UInt8]] = []
    var constants: [[UInt8]] = []
    var types: [[UInt8]] = []

    init(profile: TextProfile, rng: inout Xoshiro256StarStar) {
        let count = rng.inRange(profile.localIdentifiers)
        let programming = WordTables.programming
        for _ in 0..<count {
            let parts = rng.inRange(1...3)
            var identifier: [UInt8] = []
            var constant: [UInt8] = []
            for part in 0..<parts {
                let word = programming[rng.skewed(programming.count)]
                if part > 0 {
                    switch profile.identifierStyle {
                    case .camelCase: break
                    case .snakeCase: identifier.append(UInt8(ascii: "_"))
                    case .kebabCase: identifier.append(UInt8(ascii: "-"))
                    }
                    constant.append(UInt8(ascii: "_"))
                }
                if part > 0, profile.identifierStyle == .camelCase {
                    identifier.append(word[0] &- 32)
                    identifier.append(contentsOf: word[1...])
                } else {
                    identifier.append(contentsOf: word)
                }
                constant.append(contentsOf: word.map { $0 >= 97 && $0 <= 122 ? $0 &- 32 : $0 })
            }
            identifiers.append(identifier)
            constants.append(constant)
        }
        let typeWords = WordTables.types
        for _ in 0..<rng.inRange(3...10) {
            var type = typeWords[rng.skewed(typeWords.count)]
            if rng.chance(50) { type += typeWords[rng.below(typeWords.count)] }
            types.append(type)
        }
    }
}

/// Encoded word lists shared by all generators.
enum WordTables {
    static let programming: [[UInt8]] = Vocabulary.programmingWords.map { Array($0.utf8) }
    static let prose: [[UInt8]] = Vocabulary.proseWords.map { Array($0.utf8) }
    static let types: [[UInt8]] = Vocabulary.typeWords.map { Array($0.utf8) }
    static let packages: [[UInt8]] = Vocabulary.packageWords.map { Array($0.utf8) }
    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
    static let base64Digits: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
}

/// Expands templates line by line for one file, holding that file's random stream and words.
struct TemplateExpander {
    let profile: TextProfile
    let builtinTypes: [[UInt8]]
    let modules: [[UInt8]]
    var rng: Xoshiro256StarStar
    var words: FileWords

    mutating func writeHeader(into output: inout [UInt8]) {
        for line in profile.preamble { write(line, depth: 0, into: &output) }
        if !profile.header.isEmpty {
            for _ in 0..<rng.inRange(profile.headerLines) {
                write(profile.header[rng.below(profile.header.count)], depth: 0, into: &output)
            }
        }
        if !profile.preamble.isEmpty || !profile.header.isEmpty { output.append(UInt8(ascii: "\n")) }
    }

    mutating func writeBlock(depth: Int, into output: inout [UInt8]) {
        if let documentation = profile.documentation, rng.chance(profile.documentationChance) {
            for _ in 0..<rng.inRange(1...3) { write(documentation, depth: depth, into: &output) }
        }
        let opener = profile.openers[rng.skewed(profile.openers.count)]
        write(opener.line, depth: depth, into: &output)
        let inner = opener.indentsBody ? depth + 1 : depth
        for _ in 0..<rng.inRange(profile.bodyLines) {
            if !profile.nestedOpeners.isEmpty, depth < 3, rng.chance(profile.nestChance) {
                let nested = profile.nestedOpeners[rng.below(profile.nestedOpeners.count)]
                write(nested.line, depth: inner, into: &output)
                for _ in 0..<rng.inRange(1...4) {
                    write(profile.statements[rng.skewed(profile.statements.count)], depth: inner + 1, into: &output)
                }
                if let closer = nested.closer { write(closer, depth: inner, into: &output) }
            } else {
                write(profile.statements[rng.skewed(profile.statements.count)], depth: inner, into: &output)
            }
        }
        if let closer = opener.closer { write(closer, depth: depth, into: &output) }
        if profile.blankLineAfterBlock { output.append(UInt8(ascii: "\n")) }
    }

    /// Expands a one-off template written as a string (no trailing newline is added).
    mutating func expand(_ text: String, into output: inout [UInt8]) {
        for part in LineTemplate(text).parts {
            switch part {
            case .literal(let bytes): output.append(contentsOf: bytes)
            case .slot(let slot): fill(slot, into: &output)
            }
        }
    }

    mutating func write(_ template: LineTemplate, depth: Int, into output: inout [UInt8]) {
        for _ in 0..<depth { output.append(contentsOf: profile.indentUnit) }
        for part in template.parts {
            switch part {
            case .literal(let bytes):
                output.append(contentsOf: bytes)
            case .slot(let slot):
                fill(slot, into: &output)
            }
        }
        output.append(UInt8(ascii: "\n"))
    }

    mutating func fill(_ slot: TemplateSlot, into output: inout [UInt8]) {
        switch slot {
        case .identifier:
            output.append(contentsOf: words.identifiers[rng.skewed(words.identifiers.count)])
        case .constant:
            output.append(contentsOf: words.constants[rng.skewed(words.constants.count)])
        case .typeName:
            if builtinTypes.isEmpty || rng.chance(55) {
                output.append(contentsOf: words.types[rng.skewed(words.types.count)])
            } else {
                output.append(contentsOf: builtinTypes[rng.skewed(builtinTypes.count)])
            }
        case .module:
            if modules.isEmpty {
                output.append(contentsOf: words.identifiers[rng.below(words.identifiers.count)])
            } else {
                output.append(contentsOf: modules[rng.skewed(modules.count)])
            }
        case .number:
            appendDecimal(rng.chance(60) ? rng.below(10) : rng.skewed(4096), to: &output)
        case .phrase:
            appendProse(words: rng.inRange(2...5), capitalized: false, to: &output)
        case .comment:
            for index in 0..<rng.inRange(4...11) {
                if index > 0 { output.append(UInt8(ascii: " ")) }
                if rng.chance(18) {
                    output.append(contentsOf: words.identifiers[rng.skewed(words.identifiers.count)])
                } else {
                    output.append(contentsOf: WordTables.prose[rng.skewed(WordTables.prose.count)])
                }
            }
        case .prose:
            appendProse(words: rng.inRange(7...18), capitalized: true, to: &output)
            output.append(UInt8(ascii: "."))
        case .version:
            appendDecimal(rng.skewed(6), to: &output)
            output.append(UInt8(ascii: "."))
            appendDecimal(rng.skewed(30), to: &output)
            output.append(UInt8(ascii: "."))
            appendDecimal(rng.skewed(20), to: &output)
        case .hex40:
            appendRandom(count: 40, alphabet: WordTables.hexDigits, to: &output)
        case .hex64:
            appendRandom(count: 64, alphabet: WordTables.hexDigits, to: &output)
        case .base64Digest:
            output.append(contentsOf: Array("sha512-".utf8))
            appendRandom(count: 86, alphabet: WordTables.base64Digits, to: &output)
            output.append(contentsOf: [UInt8(ascii: "="), UInt8(ascii: "=")])
        case .uuid:
            for (index, length) in [8, 4, 4, 4, 12].enumerated() {
                if index > 0 { output.append(UInt8(ascii: "-")) }
                appendRandom(count: length, alphabet: WordTables.hexDigits, to: &output)
            }
        case .date:
            let seconds = 1_735_689_600 + rng.below(400 * 86_400)
            CivilTime.appendISO8601(seconds: seconds, milliseconds: rng.below(1000), to: &output)
        case .word:
            output.append(contentsOf: WordTables.programming[rng.skewed(WordTables.programming.count)])
        case .package:
            output.append(contentsOf: WordTables.packages[rng.skewed(WordTables.packages.count)])
        case .title:
            for index in 0..<rng.inRange(2...5) {
                if index > 0 { output.append(UInt8(ascii: " ")) }
                let word = WordTables.prose[rng.skewed(WordTables.prose.count)]
                output.append(word[0] >= 97 && word[0] <= 122 ? word[0] &- 32 : word[0])
                output.append(contentsOf: word[1...])
            }
        }
    }

    mutating func appendProse(words count: Int, capitalized: Bool, to output: inout [UInt8]) {
        for index in 0..<count {
            if index > 0 { output.append(UInt8(ascii: " ")) }
            let word = rng.chance(8)
                ? words.identifiers[rng.skewed(words.identifiers.count)]
                : WordTables.prose[rng.skewed(WordTables.prose.count)]
            if index == 0, capitalized, word[0] >= 97, word[0] <= 122 {
                output.append(word[0] &- 32)
                output.append(contentsOf: word[1...])
            } else {
                output.append(contentsOf: word)
            }
        }
    }

    mutating func appendRandom(count: Int, alphabet: [UInt8], to output: inout [UInt8]) {
        var bits = rng.next()
        var available = 64
        let mask = UInt64(alphabet.count - 1)
        let width = alphabet.count.trailingZeroBitCount
        for _ in 0..<count {
            if available < width {
                bits = rng.next()
                available = 64
            }
            output.append(alphabet[Int(bits & mask)])
            bits >>= UInt64(width)
            available -= width
        }
    }
}

/// Appends the decimal digits of a non-negative integer.
func appendDecimal(_ value: Int, to output: inout [UInt8]) {
    if value >= 10 { appendDecimal(value / 10, to: &output) }
    output.append(UInt8(ascii: "0") + UInt8(value % 10))
}
