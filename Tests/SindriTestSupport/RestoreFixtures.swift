import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Small homes for restore tests.
package enum RestoreFixtures {
    /// A small home that the standard profile archives whole: files with distinct modes and
    /// mtimes, a 64 KiB incompressible file, a symlink, a hard link and an empty directory.
    package static func smallHome(at root: String) throws -> Fixture {
        try SmallHome.restore.build(at: root)
    }

    /// Deterministic bytes that gzip cannot shrink (so most of an archive is deflate data).
    package static func pseudoRandomBytes(count: Int, seed: UInt64 = 0x5EED) -> Data {
        var state = seed
        var bytes = [UInt8](repeating: 0, count: count)
        for index in 0..<count {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            bytes[index] = UInt8(truncatingIfNeeded: state >> 33)
        }
        return Data(bytes)
    }

    /// The markers no restore may write, relative to the home.
    package static let markers = [".initialized", ".welcome_shown", "workspace/.system/bootstrap.yaml",
                          "workspace/.system/installed", "workspace/.system/install-status"]
}
