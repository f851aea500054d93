import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Whether this process may mount a small tmpfs (root on Linux), for the "no room" test.
package enum TmpfsMount {
    package static let isAvailable: Bool = {
        guard geteuid() == 0, let probe = try? TemporaryDirectory("mount-probe") else { return false }
        let point = probe.sub("mnt")
        guard (try? Shell.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", point]))?.status == 0 else { return false }
        _ = try? Shell.run(["umount", point])
        return true
    }()

    package static func mount(_ point: String, size: String) throws -> Bool {
        try Shell.run(["mount", "-t", "tmpfs", "-o", "size=\(size)", "tmpfs", point]).status == 0
    }

    package static func unmount(_ point: String) { _ = try? Shell.run(["umount", point]) }
}
