/// The stages of a restore, as the progress line and the `status` event name them.
public enum RestorePhase: String, Sendable, Equatable {
    /// Stage 1: reading and checking the archive (all of `verify`); the only stage with counters.
    case reading
    /// Stage 2: deciding what happens to each path.
    case planning
    /// Stage 3: the pre-restore snapshot of what will be replaced.
    case snapshot
    /// Stage 4: the journaled renames into the home.
    case applying
    /// Stage 5: syncing and recording the commit.
    case committing
}
