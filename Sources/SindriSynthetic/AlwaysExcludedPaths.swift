/// The always-excluded patterns, as a plain predicate over relative paths. Only used to report
/// `excludedBytes`; the engine has its own pattern matcher.
enum AlwaysExcludedPaths {
    private static let prefixes = [".cache/", ".local/share/mise/installs/", ".local/state/", "workspace/.system/logs/"]
    private static let directoryNames: Set<Substring> = [
        "node_modules", ".venv", "__pycache__", ".next", ".gradle", ".turbo", "dist", "build",
    ]

    /// Whether `path` (relative to the home, no leading slash) lies inside an always-excluded folder.
    static func contains(_ path: String) -> Bool {
        if prefixes.contains(where: { path.hasPrefix($0) }) { return true }
        let components = path.split(separator: "/")
        for (index, component) in components.enumerated().dropLast() {
            if directoryNames.contains(component) { return true }
            if component == "target", index + 2 < components.count,
                components[index + 1] == "debug" || components[index + 1] == "release"
            {
                return true
            }
        }
        return false
    }
}
