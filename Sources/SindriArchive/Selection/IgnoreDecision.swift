/// What the last matching pattern of an ``IgnoreRules`` list says about one path.
public struct IgnoreDecision: Sendable, Hashable, CustomStringConvertible {
    /// The effect of the deciding pattern.
    public enum Effect: Sendable, Hashable {
        /// An ordinary pattern matched last: the path is left out.
        case excluded
        /// A `!pattern` matched last: the path is kept even though an earlier pattern excluded it.
        case included
    }

    /// Excluded or re-included.
    public let effect: Effect
    /// The pattern that decided (the last one in the list that matched).
    public let pattern: IgnorePattern
    /// The position of ``pattern`` in ``IgnoreRules/patterns``.
    public let patternIndex: Int

    /// Creates a decision made by the pattern at `patternIndex`.
    public init(effect: Effect, pattern: IgnorePattern, patternIndex: Int) {
        self.effect = effect
        self.pattern = pattern
        self.patternIndex = patternIndex
    }

    /// True when the path is left out.
    public var isExcluded: Bool { effect == .excluded }

    public var description: String {
        "\(isExcluded ? "excluded" : "included") by '\(pattern.source)'"
    }
}
