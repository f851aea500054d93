// The shared helpers (temporary folders, tool and `sindri` runners, fixtures, snapshots) for every
// file of this target, without an import in each.
@_exported import SindriTestSupport
