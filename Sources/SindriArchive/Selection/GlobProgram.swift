/// A gitignore wildcard expression compiled to a small list of byte-matching operations.
///
/// The semantics are those of git's `wildmatch()` with `WM_PATHNAME` (git 2.39), reproduced operation by
/// operation, including its early-abort return codes, so that every verdict agrees with `git check-ignore`:
/// `*` and `?` and `[...]` never match `/`; `**` crosses `/` only when it stands alone between slashes (or at
/// the start or end); `**/` may match nothing at all. Compiling once removes all parsing from the per-path
/// work, and matching walks unsafe buffers so that a call allocates nothing.
struct GlobProgram: Sendable {
    /// One step of the program.
    enum Operation: Sendable {
        /// Bytes that must appear verbatim: `literalBytes[start ..< start + count]`.
        /// `escapedFirst` records that the first byte was written as `\x` in the pattern; git then skips its
        /// scan-ahead after a star, which changes nothing but the internal abort codes we mirror.
        case literal(start: Int32, count: Int32, escapedFirst: Bool)
        /// `?`: one byte other than `/`.
        case anyByte
        /// `[...]`: one byte in `classes[index]` (which never contains `/`).
        case byteClass(index: Int32)
        /// A run of `*`. `crossesSlash` for a `**` standing between slashes; `skipsSlash` when such a `**`
        /// is followed by an unescaped `/`, which it may swallow so that `a/**/b` matches `a/b`.
        case star(crossesSlash: Bool, skipsSlash: Bool)
    }

    /// wildmatch's four results; the two aborts prune backtracking that cannot succeed.
    enum Outcome {
        case match, noMatch, abortAll, abortToStarStar
    }

    private(set) var operations: [Operation] = []
    private(set) var literalBytes: [UInt8] = []
    private(set) var classes: [PatternByteSet] = []
    /// The longest literal step: any text the program matches contains these bytes, so a text without
    /// them is rejected by a plain scan before any backtracking starts.
    private(set) var requiredLiteral: [UInt8] = []

    /// Compiles `pattern` (the part of a gitignore pattern after its literal prefix).
    ///
    /// - Throws: ``PatternError`` kinds `.trailingBackslash`, `.unterminatedCharacterClass`,
    ///   `.unknownCharacterClass`; `line` is filled in by the caller.
    init(compiling pattern: ArraySlice<UInt8>) throws(PatternError.Kind) {
        let bytes = Array(pattern)
        var index = 0
        var extendsLiteral = false
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case PatternByte.backslash:
                guard index + 1 < bytes.count else { throw .trailingBackslash }
                appendLiteral(bytes[index + 1], escaped: true, extending: &extendsLiteral)
                index += 2
            case PatternByte.question:
                operations.append(.anyByte)
                extendsLiteral = false
                index += 1
            case PatternByte.openBracket:
                let (set, next) = try Self.parseClass(bytes, openingAt: index)
                classes.append(set)
                operations.append(.byteClass(index: Int32(classes.count - 1)))
                extendsLiteral = false
                index = next
            case PatternByte.star:
                let groupStart = index
                while index < bytes.count, bytes[index] == PatternByte.star { index += 1 }
                var crossesSlash = false
                var skipsSlash = false
                if index - groupStart >= 2 {
                    let delimitedBefore = groupStart == 0 || bytes[groupStart - 1] == PatternByte.slash
                    let delimitedAfter = index == bytes.count || bytes[index] == PatternByte.slash
                        || (bytes[index] == PatternByte.backslash && index + 1 < bytes.count
                            && bytes[index + 1] == PatternByte.slash)
                    if delimitedBefore && delimitedAfter {
                        crossesSlash = true
                        skipsSlash = index < bytes.count && bytes[index] == PatternByte.slash
                    }
                }
                operations.append(.star(crossesSlash: crossesSlash, skipsSlash: skipsSlash))
                extendsLiteral = false
                if index < bytes.count, bytes[index] == PatternByte.slash {
                    // A slash right after a star is its own step: the star may jump to it or skip it.
                    appendLiteral(PatternByte.slash, escaped: false, extending: &extendsLiteral)
                    extendsLiteral = false
                    index += 1
                }
            default:
                appendLiteral(byte, escaped: false, extending: &extendsLiteral)
                index += 1
            }
        }
        for case .literal(let start, let count, _) in operations where Int(count) > requiredLiteral.count {
            requiredLiteral = Array(literalBytes[Int(start) ..< Int(start + count)])
        }
    }

    private mutating func appendLiteral(_ byte: UInt8, escaped: Bool, extending: inout Bool) {
        literalBytes.append(byte)
        if extending, case .literal(let start, let count, let escapedFirst)? = operations.last {
            operations[operations.count - 1] = .literal(start: start, count: count + 1, escapedFirst: escapedFirst)
        } else {
            operations.append(.literal(start: Int32(literalBytes.count - 1), count: 1, escapedFirst: escaped))
        }
        extending = true
    }

    /// Parses the class whose `[` is at `open`, exactly as wildmatch reads it; returns the set of bytes it
    /// matches (negation applied, `/` removed) and the index after its closing `]`.
    private static func parseClass(
        _ bytes: [UInt8], openingAt open: Int
    ) throws(PatternError.Kind) -> (PatternByteSet, Int) {
        var index = open + 1
        var negated = false
        if index < bytes.count, bytes[index] == PatternByte.exclamation || bytes[index] == PatternByte.caret {
            negated = true
            index += 1
        }
        var set = PatternByteSet()
        var previous: UInt8 = 0  // wildmatch's prev_ch: 0 after a range or a [:name:], so "-" is then literal
        while true {
            guard index < bytes.count else { throw .unterminatedCharacterClass }
            var current = bytes[index]
            if current == PatternByte.backslash {
                index += 1
                guard index < bytes.count else { throw .unterminatedCharacterClass }
                current = bytes[index]
                set.insert(current)
            } else if current == PatternByte.dash, previous != 0, index + 1 < bytes.count,
                bytes[index + 1] != PatternByte.closeBracket
            {
                index += 1
                var upper = bytes[index]
                if upper == PatternByte.backslash {
                    index += 1
                    guard index < bytes.count else { throw .unterminatedCharacterClass }
                    upper = bytes[index]
                }
                if previous <= upper { set.insert(range: previous...upper) }
                current = 0
            } else if current == PatternByte.openBracket, index + 1 < bytes.count, bytes[index + 1] == PatternByte.colon {
                let nameStart = index + 2
                var close = nameStart
                while close < bytes.count, bytes[close] != PatternByte.closeBracket { close += 1 }
                guard close < bytes.count else { throw .unterminatedCharacterClass }
                if close - nameStart - 1 < 0 || bytes[close - 1] != PatternByte.colon {
                    // No ":]": the "[" is an ordinary member and parsing resumes right after it.
                    set.insert(PatternByte.openBracket)
                } else {
                    let name = bytes[nameStart ..< close - 1]
                    guard let members = PatternByteSet.posixClass(named: name) else {
                        throw .unknownCharacterClass(name: String(decoding: name, as: UTF8.self))
                    }
                    set.formUnion(members)
                    index = close
                    current = 0
                }
            } else {
                set.insert(current)
            }
            previous = current
            index += 1
            guard index < bytes.count else { throw .unterminatedCharacterClass }
            if bytes[index] == PatternByte.closeBracket { break }
        }
        if negated { set.invert() }
        set.remove(PatternByte.slash)
        return (set, index + 1)
    }

    /// True when the program matches `text[start...]` completely.
    func matches(_ text: UnsafeBufferPointer<UInt8>, from start: Int) -> Bool {
        if requiredLiteral.count > 1, !Self.contains(text, from: start, requiredLiteral) { return false }
        return operations.withUnsafeBufferPointer { operations in
            literalBytes.withUnsafeBufferPointer { literalBytes in
                classes.withUnsafeBufferPointer { classes in
                    let run = GlobRun(
                        operations: operations, literalBytes: literalBytes, classes: classes, text: text)
                    return run.match(operation: 0, text: start) == .match
                }
            }
        }
    }
}

extension GlobProgram {
    /// True when `needle` occurs in `text[start...]`.
    fileprivate static func contains(_ text: UnsafeBufferPointer<UInt8>, from start: Int, _ needle: [UInt8]) -> Bool {
        needle.withUnsafeBufferPointer { needle in
            let first = needle[0]
            var position = start
            let last = text.count - needle.count
            while position <= last {
                if text[position] == first {
                    var offset = 1
                    while offset < needle.count, text[position + offset] == needle[offset] { offset += 1 }
                    if offset == needle.count { return true }
                }
                position += 1
            }
            return false
        }
    }
}

/// One evaluation of a ``GlobProgram`` against one text; a port of wildmatch's `dowild()` over operations.
private struct GlobRun {
    let operations: UnsafeBufferPointer<GlobProgram.Operation>
    let literalBytes: UnsafeBufferPointer<UInt8>
    let classes: UnsafeBufferPointer<PatternByteSet>
    let text: UnsafeBufferPointer<UInt8>

    func match(operation firstOperation: Int, text firstText: Int) -> GlobProgram.Outcome {
        var operationIndex = firstOperation
        var position = firstText
        let end = text.count
        while operationIndex < operations.count {
            switch operations[operationIndex] {
            case .literal(let start, let count, _):
                for offset in 0 ..< Int(count) {
                    guard position < end else { return .abortAll }
                    if text[position] != literalBytes[Int(start) + offset] { return .noMatch }
                    position += 1
                }
            case .anyByte:
                guard position < end else { return .abortAll }
                if text[position] == PatternByte.slash { return .noMatch }
                position += 1
            case .byteClass(let index):
                guard position < end else { return .abortAll }
                if !classes[Int(index)].contains(text[position]) { return .noMatch }
                position += 1
            case .star(let crossesSlash, let skipsSlash):
                let next = operationIndex + 1
                if skipsSlash, match(operation: next + 1, text: position) == .match {
                    return .match
                }
                if next == operations.count {
                    // A trailing "**" matches everything; a trailing "*" only what has no further slash.
                    if !crossesSlash, firstSlash(from: position) != nil { return .noMatch }
                    return .match
                }
                if !crossesSlash, isUnescapedSlash(at: next) {
                    // "*/": the star takes everything up to the next slash, which the next step consumes.
                    guard let found = firstSlash(from: position) else { return .noMatch }
                    position = found
                    operationIndex = next
                    continue
                }
                return starLoop(after: next, from: position, crossesSlash: crossesSlash)
            }
            operationIndex += 1
        }
        return position == end ? .match : .noMatch
    }

    /// Tries every length for the star before operation `next`, as wildmatch's `while (1)` loop does.
    private func starLoop(after next: Int, from start: Int, crossesSlash: Bool) -> GlobProgram.Outcome {
        let end = text.count
        var position = start
        var scanTarget: UInt8? = nil
        if case .literal(let literalStart, _, let escapedFirst) = operations[next], !escapedFirst {
            scanTarget = literalBytes[Int(literalStart)]
        }
        while position < end {
            if let target = scanTarget {
                // Advance to the next occurrence of the literal that follows the star.
                while position < end, crossesSlash || text[position] != PatternByte.slash {
                    if text[position] == target { break }
                    position += 1
                }
                if position == end || text[position] != target { return .noMatch }
            }
            let outcome = match(operation: next, text: position)
            if outcome != .noMatch {
                if !crossesSlash || outcome != .abortToStarStar { return outcome }
            } else if !crossesSlash, text[position] == PatternByte.slash {
                return .abortToStarStar
            }
            position += 1
        }
        return .abortAll
    }

    private func isUnescapedSlash(at index: Int) -> Bool {
        if case .literal(let start, _, let escapedFirst) = operations[index], !escapedFirst {
            return literalBytes[Int(start)] == PatternByte.slash
        }
        return false
    }

    private func firstSlash(from start: Int) -> Int? {
        var position = start
        while position < text.count {
            if text[position] == PatternByte.slash { return position }
            position += 1
        }
        return nil
    }
}
