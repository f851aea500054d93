#if canImport(Glibc)
import Glibc
#endif

/// Test hook, compiled into debug builds only (the end-to-end tests run the debug binary):
/// `SINDRI_TEST_PAUSE=<point>:<fifo>` makes a restore stop at the named point, tell the test
/// by writing `<point>` into the FIFO, and wait until the test opens the FIFO for writing and
/// closes it. The race tests use it to swap entries of the home at the exact moment an attacker
/// would need (a window of microseconds otherwise), so each race is reproduced every time.
///
/// Points: `locked` (lock taken, nothing staged), `planned` (plan made, no snapshot yet),
/// `snapshotted` (snapshot written, no journal yet), `before-apply` (snapshot and journal written, nothing applied), `before-attributes` (every
/// step taken, created directories not yet given their mode).
enum TestPause {
    static func reach(_ point: String) {
        #if DEBUG
        guard let raw = getenv("SINDRI_TEST_PAUSE") else { return }
        let value = String(cString: raw)
        guard let colon = value.firstIndex(of: ":"), value[..<colon] == point else { return }
        let fifo = String(value[value.index(after: colon)...])
        let writer = open(fifo, O_WRONLY | O_CLOEXEC)
        guard writer >= 0 else { return }
        let line = Array((point + "\n").utf8)
        _ = line.withUnsafeBytes { write(writer, $0.baseAddress, $0.count) }
        close(writer)
        let reader = open(fifo, O_RDONLY | O_CLOEXEC)
        guard reader >= 0 else { return }
        var byte: UInt8 = 0
        while read(reader, &byte, 1) > 0 {}
        close(reader)
        #endif
    }
}
