import SindriArchive
import SindriSystem

/// The PATHs given to `sindri restore`: which members to restore, each with what lies below it.
///
/// A PATH is relative to the home, as the archive stores it (`workspace/app`, not
/// `/home/me/workspace/app`); `./x` and `x/` name `x`. A PATH without `*`, `?` or `[` is a
/// literal path. One with them is a glob with the backup patterns' engine and semantics
/// (``IgnorePattern``), always anchored at the home: `*`, `?` and `[...]` stay within a
/// component, `**` spans directories (`**/.env` finds `.env` at any depth). A PATH selects every
/// member it matches and everything below those members.
public struct RestorePathSelection: Sendable {
    enum Matcher: Sendable {
        case everything
        case literal([UInt8])
        case glob(IgnorePattern)
    }

    /// The PATHs as given, in order, for messages.
    public let given: [String]
    let matchers: [Matcher]

    /// Everything in the archive (no PATH given).
    public static let everything = RestorePathSelection(given: [], matchers: [])

    private init(given: [String], matchers: [Matcher]) {
        self.given = given
        self.matchers = matchers
    }

    /// Parses the PATHs; empty means the whole archive.
    ///
    /// - Throws: `SindriError(.invalidArgument)` (usage, exit 64) for an absolute PATH, one with a
    ///   `..` component, or a glob that could never match (an unclosed `[`): checked before the
    ///   archive is opened, so a typo costs nothing.
    public init(_ paths: [String]) throws {
        var matchers: [Matcher] = []
        for raw in paths {
            let bytes = Array(raw.utf8)
            if bytes.isEmpty { throw SindriError(.invalidArgument, "an empty PATH names nothing; give a path relative to the home") }
            switch MemberPath.normalize(bytes) {
            case .root:
                matchers.append(.everything)
            case .unsafe:
                throw SindriError(.invalidArgument, Self.explanation(for: raw), path: raw)
            case .path(let path):
                guard path.contains(where: Self.isGlobByte) else {
                    matchers.append(.literal(path))
                    continue
                }
                // The leading slash anchors the pattern at the home, as a gitignore line's does.
                let source = "/" + String(decoding: path, as: UTF8.self)
                do {
                    matchers.append(.glob(try IgnorePattern(source)))
                } catch {
                    throw SindriError(.invalidArgument, "\(raw): not a usable pattern (\(error))", path: raw)
                }
            }
        }
        self.init(given: paths, matchers: matchers)
    }

    /// Why an absolute PATH or one with `..` is refused, and what to type instead.
    static func explanation(for raw: String) -> String {
        let prefix = "\(raw): PATHs are relative to the home, as stored in the archive"
        guard raw.hasPrefix("/") else { return "\(prefix); '..' cannot name anything in it" }
        let components = raw.split(separator: "/").filter { $0 != "." }
        // `/workspace/x` most likely means `workspace/x`; `/home/me/workspace/x` cannot be
        // guessed reliably, so only the shape is shown.
        guard !components.isEmpty, !components.contains("..") else { return prefix }
        return "\(prefix): use \(components.joined(separator: "/"))"
    }

    static func isGlobByte(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "*") || byte == UInt8(ascii: "?") || byte == UInt8(ascii: "[")
    }

    public var isEverything: Bool { matchers.isEmpty }

    /// The index of the first PATH that selects `path` (it or one of its ancestors matches), or
    /// nil. `isDirectory` is the member's own type.
    func match(_ path: [UInt8], isDirectory: Bool) -> Int? {
        for (index, matcher) in matchers.enumerated() where Self.selects(matcher, path, isDirectory: isDirectory) {
            return index
        }
        return nil
    }

    /// Whether `path` is selected by some PATH (always, when no PATH was given).
    func selects(_ path: [UInt8], isDirectory: Bool) -> Bool {
        matchers.isEmpty || match(path, isDirectory: isDirectory) != nil
    }

    private static func selects(_ matcher: Matcher, _ path: [UInt8], isDirectory: Bool) -> Bool {
        switch matcher {
        case .everything:
            return true
        case .literal(let literal):
            return PathBytes.isSameOrBelow(path, literal)
        case .glob(let pattern):
            if pattern.matches(path, isDirectory: isDirectory) { return true }
            return MemberPath.ancestors(path).contains { pattern.matches($0, isDirectory: true) }
        }
    }

    /// The PATHs, as given, that select no member of `members` (path and whether it is a directory).
    func unmatched(in members: [(path: [UInt8], isDirectory: Bool)]) -> [String] {
        guard !matchers.isEmpty else { return [] }
        var found = Array(repeating: false, count: matchers.count)
        for member in members {
            for (index, matcher) in matchers.enumerated() where !found[index] {
                if Self.selects(matcher, member.path, isDirectory: member.isDirectory) { found[index] = true }
            }
            if !found.contains(false) { break }
        }
        return zip(given, found).filter { !$0.1 }.map(\.0)
    }
}

/// PATHs given to `sindri restore` that match nothing in the archive: nothing was restored.
public struct RestorePathsNotFound: Error, Sendable {
    /// The PATHs as given, in order.
    public let paths: [String]
}
