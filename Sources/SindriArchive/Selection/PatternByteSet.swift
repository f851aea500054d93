/// The bytes that gitignore syntax gives a meaning to, by name.
enum PatternByte {
    static let tab: UInt8 = 0x09
    static let lineFeed: UInt8 = 0x0A
    static let carriageReturn: UInt8 = 0x0D
    static let space: UInt8 = 0x20
    static let exclamation: UInt8 = 0x21
    static let hash: UInt8 = 0x23
    static let star: UInt8 = 0x2A
    static let dash: UInt8 = 0x2D
    static let slash: UInt8 = 0x2F
    static let colon: UInt8 = 0x3A
    static let question: UInt8 = 0x3F
    static let openBracket: UInt8 = 0x5B
    static let backslash: UInt8 = 0x5C
    static let closeBracket: UInt8 = 0x5D
    static let caret: UInt8 = 0x5E

    /// The bytes that end git's literal pattern prefix (`simple_length`): `*`, `?`, `[`, `\`.
    static func isWildcard(_ byte: UInt8) -> Bool {
        byte == star || byte == question || byte == openBracket || byte == backslash
    }
}

/// A set of byte values as a 256-bit bitmap: the compiled form of a `[...]` character class.
struct PatternByteSet: Sendable {
    private var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    init() {}

    func contains(_ byte: UInt8) -> Bool {
        let bit = UInt64(1) << UInt64(byte & 63)
        switch byte >> 6 {
        case 0: return words.0 & bit != 0
        case 1: return words.1 & bit != 0
        case 2: return words.2 & bit != 0
        default: return words.3 & bit != 0
        }
    }

    mutating func insert(_ byte: UInt8) {
        let bit = UInt64(1) << UInt64(byte & 63)
        switch byte >> 6 {
        case 0: words.0 |= bit
        case 1: words.1 |= bit
        case 2: words.2 |= bit
        default: words.3 |= bit
        }
    }

    mutating func insert(range: ClosedRange<UInt8>) {
        for byte in range { insert(byte) }
    }

    mutating func remove(_ byte: UInt8) {
        let mask = ~(UInt64(1) << UInt64(byte & 63))
        switch byte >> 6 {
        case 0: words.0 &= mask
        case 1: words.1 &= mask
        case 2: words.2 &= mask
        default: words.3 &= mask
        }
    }

    mutating func invert() {
        words = (~words.0, ~words.1, ~words.2, ~words.3)
    }

    mutating func formUnion(_ other: PatternByteSet) {
        words = (words.0 | other.words.0, words.1 | other.words.1, words.2 | other.words.2, words.3 | other.words.3)
    }

    /// The members of a POSIX class inside `[...]`, as git's own ASCII-only ctype table defines them
    /// (so `space` is tab, newline, carriage return and space; no byte above 0x7F is in any class).
    static func posixClass<Name: Collection<UInt8>>(named name: Name) -> PatternByteSet? {
        var set = PatternByteSet()
        let lower: ClosedRange<UInt8> = 0x61 ... 0x7A
        let upper: ClosedRange<UInt8> = 0x41 ... 0x5A
        let digit: ClosedRange<UInt8> = 0x30 ... 0x39
        switch String(decoding: name, as: UTF8.self) {
        case "alnum":
            set.insert(range: lower); set.insert(range: upper); set.insert(range: digit)
        case "alpha":
            set.insert(range: lower); set.insert(range: upper)
        case "blank":
            set.insert(PatternByte.space); set.insert(PatternByte.tab)
        case "cntrl":
            set.insert(range: 0x00 ... 0x1F); set.insert(0x7F)
        case "digit":
            set.insert(range: digit)
        case "graph":
            set.insert(range: 0x21 ... 0x7E)
        case "lower":
            set.insert(range: lower)
        case "print":
            set.insert(range: 0x20 ... 0x7E)
        case "punct":
            for byte: UInt8 in 0x21 ... 0x7E where !(lower.contains(byte) || upper.contains(byte) || digit.contains(byte)) {
                set.insert(byte)
            }
        case "space":
            for byte in [PatternByte.tab, PatternByte.lineFeed, PatternByte.carriageReturn, PatternByte.space] {
                set.insert(byte)
            }
        case "upper":
            set.insert(range: upper)
        case "xdigit":
            set.insert(range: digit); set.insert(range: 0x41 ... 0x46); set.insert(range: 0x61 ... 0x66)
        default:
            return nil
        }
        return set
    }
}
