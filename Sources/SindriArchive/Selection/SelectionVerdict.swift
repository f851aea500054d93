/// What a backup does with one path of the home.
public enum SelectionVerdict: Sendable, Hashable, CustomStringConvertible {
    /// Archive the entry; for a directory, also descend and ask about each child.
    case include
    /// A directory on the way to something the profile includes (`workspace`, `.ssh`, `.local` for
    /// `user-data`): archive the directory entry itself and descend, but its children are included only
    /// when they are themselves on such a path.
    case traverse
    /// Leave the entry out and, for a directory, do not descend. `reason` names the rule that decided: the
    /// pattern text, `"not in profile user-data"`, `"system marker"` or `"tool state .sindri"`.
    case exclude(reason: String)

    /// True when the entry itself goes into the archive (``include`` or ``traverse``).
    public var archivesEntry: Bool {
        if case .exclude = self { return false }
        return true
    }

    /// True when a directory with this verdict is descended into (``include`` or ``traverse``).
    public var descends: Bool { archivesEntry }

    public var description: String {
        switch self {
        case .include: return "include"
        case .traverse: return "traverse"
        case .exclude(let reason): return "exclude (\(reason))"
        }
    }
}
