/// Decides, path by path, what a backup of the home takes: a ``BackupProfile`` plus the user's own excludes.
///
/// The rules apply in this order; the first that decides wins:
/// 1. ``TOOL_STATE_DIRECTORY`` (`.sindri` at the top of the home) and everything below it is excluded.
/// 2. For `user-data` and `standard`, system markers (``isSystemMarker(_:)``) are excluded. They lie
///    outside those profiles' include roots anyway; the explicit rule keeps it so whatever roots change.
/// 3. For `user-data` and `standard`, a path outside every include root is excluded, and a directory that
///    is a proper ancestor of a root (`workspace`, `.ssh`, `.local`) is only traversed.
/// 4. One gitignore list, last match wins: ``ALWAYS_EXCLUDE``, then the profile's
///    ``BackupProfile/excludePatterns``, then the user's rules. Because the user's rules come last, a user
///    `!pattern` re-includes what a built-in pattern excludes (`!**/dist/` keeps `dist` directories). It
///    cannot override rules 1–3: a negation cancels an exclusion, it does not widen a profile.
///
/// Two readings of ``ALWAYS_EXCLUDE`` go beyond plain gitignore, both following the list's intent:
/// - `X/**` in gitignore excludes what is inside `X` but not `X` itself. The product excludes `.cache/`
///   itself, so each `X/**` entry also excludes the directory `X`: the walker never opens it and the
///   archive holds no empty `.cache/` or `node_modules/` directories.
/// - `**/dist` and `**/build` exclude directories only. They name build output; a file called `build` (a
///   project's build script, `workspace/scripts/build`) is user data and stays in the backup.
///
/// Verdicts are asked for a directory before its children, and nothing below an excluded directory is
/// asked about: ``verdict(for:isDirectory:)`` looks at one path, ``effectiveVerdict(for:isDirectory:)``
/// also checks its ancestors for callers that start from a deep path.
public struct BackupSelection: Sendable {
    /// The profile this selection applies.
    public let profile: BackupProfile
    /// The user's extra patterns, applied after the built-in ones.
    public let userRules: IgnoreRules

    /// Built-in, profile and user patterns in precedence order.
    private let rules: IgnoreRules
    /// For each pattern of `rules`, the text an exclusion reports (the listed entry for derived patterns).
    private let reasons: [String]
    /// The profile's include roots as bytes; nil when the profile takes the whole home.
    private let includeRoots: [[UInt8]]?
    private let notInProfileReason: String

    /// Reason reported for ``TOOL_STATE_DIRECTORY``.
    public static let toolStateReason = "tool state \(TOOL_STATE_DIRECTORY)"
    /// Reason reported for a system marker in a profile that does not archive them.
    public static let systemMarkerReason = "system marker"

    /// Creates the selection for `profile`, with `userRules` applied after the built-in patterns.
    public init(profile: BackupProfile, userRules: IgnoreRules = IgnoreRules()) {
        self.profile = profile
        self.userRules = userRules
        var rules = IgnoreRules()
        var reasons: [String] = []
        for builtIn in Self.alwaysExcludeRules + Self.profileRules(for: profile) {
            rules.append(builtIn.pattern)
            reasons.append(builtIn.reason)
        }
        rules.append(contentsOf: userRules)
        reasons.append(contentsOf: userRules.patterns.map(\.source))
        self.rules = rules
        self.reasons = reasons
        includeRoots = profile.includeRoots?.map { Array($0.utf8) }
        notInProfileReason = "not in profile \(profile.rawValue)"
    }

    /// Creates the selection for `profile` with the user's `--exclude` patterns, in the order given.
    ///
    /// - Throws: ``PatternError`` for the first unusable pattern, `lineNumber` being its position.
    public init(profile: BackupProfile, excludePatterns: [String]) throws(PatternError) {
        self.init(profile: profile, userRules: try IgnoreRules(lines: excludePatterns))
    }

    /// What to do with `path` (relative to the home, `/`-separated, no leading `/` or `./`, no trailing
    /// slash), assuming its parent directory was included or traversed. The empty path, the home itself,
    /// is traversed.
    public func verdict(for path: [UInt8], isDirectory: Bool) -> SelectionVerdict {
        path.withUnsafeBufferPointer { verdict(for: $0, isDirectory: isDirectory) }
    }

    /// The verdict for `path` as a walk from the home reaches it: the first excluded ancestor directory
    /// decides, otherwise the path's own verdict.
    public func effectiveVerdict(for path: [UInt8], isDirectory: Bool) -> SelectionVerdict {
        path.withUnsafeBufferPointer { buffer in
            for length in SelectionPath.ancestorLengths(of: buffer) {
                let verdict = verdict(for: UnsafeBufferPointer(rebasing: buffer[..<length]), isDirectory: true)
                if !verdict.archivesEntry { return verdict }
            }
            return verdict(for: buffer, isDirectory: isDirectory)
        }
    }

    private func verdict(for path: UnsafeBufferPointer<UInt8>, isDirectory: Bool) -> SelectionVerdict {
        if path.isEmpty { return .traverse }
        if SelectionPath.isSelfOrDescendant(path, of: toolStateDirectoryBytes) {
            return .exclude(reason: Self.toolStateReason)
        }
        var onlyTraversed = false
        if let includeRoots {
            if isSystemMarker(path) { return .exclude(reason: Self.systemMarkerReason) }
            if includeRoots.contains(where: { SelectionPath.isSelfOrDescendant(path, of: $0) }) {
                onlyTraversed = false
            } else if isDirectory, includeRoots.contains(where: { SelectionPath.isProperAncestor(path, of: $0) }) {
                onlyTraversed = true
            } else {
                return .exclude(reason: notInProfileReason)
            }
        }
        if let decision = rules.decision(for: path, isDirectory: isDirectory), decision.isExcluded {
            return .exclude(reason: reasons[decision.patternIndex])
        }
        return onlyTraversed ? .traverse : .include
    }

    /// A built-in pattern with the text an exclusion by it reports.
    private struct BuiltInRule: Sendable {
        let pattern: IgnorePattern
        let reason: String
    }

    /// ``ALWAYS_EXCLUDE`` compiled once, with the two readings described on the type.
    private static let alwaysExcludeRules: [BuiltInRule] = ALWAYS_EXCLUDE.flatMap { entry -> [BuiltInRule] in
        var lines: [String]
        if entry.hasSuffix("/**") {
            // "X/**" also excludes the directory X; anchor X at the root if it has no slash of its own.
            let directory = String(entry.dropLast(3))
            lines = [entry, (directory.contains("/") ? directory : "/" + directory) + "/"]
        } else {
            lines = [entry + "/"]
        }
        return lines.map { BuiltInRule(pattern: builtInPattern($0), reason: entry) }
    }

    private static let standardRules: [BuiltInRule] = BackupProfile.standard.excludePatterns.map {
        BuiltInRule(pattern: builtInPattern($0), reason: $0)
    }

    private static func profileRules(for profile: BackupProfile) -> [BuiltInRule] {
        profile == .standard ? standardRules : []
    }

    private static func builtInPattern(_ line: String) -> IgnorePattern {
        do {
            return try IgnorePattern(line)
        } catch {
            preconditionFailure("built-in pattern does not parse: \(error)")
        }
    }
}
