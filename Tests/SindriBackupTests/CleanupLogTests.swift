import Foundation
import SindriSystem
import Testing
@testable import SindriBackup
#if canImport(Glibc)
import Glibc
#endif

/// Cleanup failures are recorded with what was being done and why, never dropped; a path that is
/// already gone is not a failure.
@Suite("cleanup log", .serialized)
struct CleanupLogTests {
    @Test("a failed removal is recorded with its reason; ENOENT is not; drain forgets")
    func recordsFailures() throws {
        _ = CleanupLog.drain()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cleanup-log-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder + "/inner", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(!CleanupLog.check(unlinkat(AT_FDCWD, folder, AT_REMOVEDIR), "could not remove \(folder)"))
        #expect(CleanupLog.check(unlinkat(AT_FDCWD, folder + "/missing", 0), "could not remove missing"))
        let recorded = CleanupLog.drain()
        #expect(recorded == ["could not remove \(folder): \(String(cString: strerror(ENOTEMPTY)))"], "\(recorded)")
        #expect(CleanupLog.drain().isEmpty)
    }
}
