import Testing

@testable import SindriArchive

/// An entry at an encoding boundary, with whether it must need a pax header.
struct TarEncoderBoundaryCase: Sendable, CustomTestStringConvertible {
    let label: String
    let entry: TarEntry
    let expectsPax: Bool

    var testDescription: String { label }

    /// Entries whose content is at most this large get real data in interop archives; larger
    /// ones are written sparse (header, hole, end marker).
    static let realDataLimit: UInt64 = 1 << 20

    static func regular(_ label: String, _ path: [UInt8], size: UInt64 = 5, pax: Bool) -> Self {
        Self(label: label, entry: TarEntry(path: path, kind: .regular, mode: 0o644, size: size, modificationTime: 1_700_000_000), expectsPax: pax)
    }

    static func repeated(_ byte: String, _ count: Int) -> [UInt8] { tarBytes(String(repeating: byte, count: count)) }

    static let nonASCII = tarBytes("café/ünïcødé-文件-😀.txt")
    static let invalidUTF8: [UInt8] = [0x66, 0xFF, 0xFE, 0x2F, 0xC3, 0x28, 0x80, 0x2E, 0x74]

    static let all: [Self] = [
        regular("name 99 bytes", repeated("a", 99), pax: false),
        regular("name 100 bytes", repeated("a", 100), pax: false),
        regular("name 101 bytes without slash", repeated("a", 101), pax: true),
        regular("name 101 bytes with slash", tarBytes("d/") + repeated("a", 99), pax: false),
        regular("prefix 155 + name 100 = 256", repeated("p", 155) + tarBytes("/") + repeated("n", 100), pax: false),
        regular("prefix 154 + name 100 = 255", repeated("p", 154) + tarBytes("/") + repeated("n", 100), pax: false),
        regular("prefix 156 + name 99 = 256", repeated("p", 156) + tarBytes("/") + repeated("n", 99), pax: true),
        regular("prefix 155 + name 101 = 257", repeated("p", 155) + tarBytes("/") + repeated("n", 101), pax: true),
        regular("split with several slashes", tarBytes("a/b/") + repeated("c", 150) + tarBytes("/") + repeated("d", 90), pax: false),
        regular("long path 300 bytes", (0..<30).flatMap { _ in repeated("x", 9) + tarBytes("/") }.dropLast() + tarBytes("z"), pax: true),
        regular("long path 3000 bytes", (0..<300).flatMap { _ in repeated("y", 9) + tarBytes("/") } + tarBytes("end"), pax: true),
        regular("no slash 150 bytes", repeated("q", 150), pax: true),
        regular("non-ASCII UTF-8 short", nonASCII, pax: false),
        regular("non-ASCII UTF-8 long", (0..<12).flatMap { _ in nonASCII + tarBytes("/") } + nonASCII, pax: true),
        regular("invalid UTF-8 short", invalidUTF8, pax: false),
        regular("invalid UTF-8 long", (0..<30).flatMap { _ in invalidUTF8 + tarBytes("/") } + invalidUTF8, pax: true),
        regular("empty file", tarBytes("empty"), size: 0, pax: false),
        regular("content 511", tarBytes("c511"), size: 511, pax: false),
        regular("content 512", tarBytes("c512"), size: 512, pax: false),
        regular("content 513", tarBytes("c513"), size: 513, pax: false),
        regular("size 8 GiB - 1", tarBytes("big/eight-minus-one"), size: (8 << 30) - 1, pax: false),
        regular("size 8 GiB", tarBytes("big/eight"), size: 8 << 30, pax: true),
        regular("size 10 GiB", tarBytes("big/ten"), size: 10 << 30, pax: true),
        Self(label: "directory 99 (+slash = 100)", entry: TarEntry(path: repeated("d", 99), kind: .directory, mode: 0o755, modificationTime: 1), expectsPax: false),
        Self(label: "directory 100 (+slash = 101)", entry: TarEntry(path: repeated("d", 100), kind: .directory, mode: 0o755, modificationTime: 1), expectsPax: true),
        Self(label: "directory sticky", entry: TarEntry(path: tarBytes("tmp"), kind: .directory, mode: 0o1777, modificationTime: 86_400), expectsPax: false),
        Self(label: "setuid setgid file", entry: TarEntry(path: tarBytes("bin/tool"), kind: .regular, mode: 0o6755, size: 3, modificationTime: 2), expectsPax: false),
        Self(label: "symlink target 100", entry: TarEntry(path: tarBytes("link100"), kind: .symbolicLink, mode: 0o777, modificationTime: 3, linkTarget: repeated("t", 100)), expectsPax: false),
        Self(label: "symlink target 101", entry: TarEntry(path: tarBytes("link101"), kind: .symbolicLink, mode: 0o777, modificationTime: 3, linkTarget: repeated("t", 101)), expectsPax: true),
        Self(label: "symlink target invalid UTF-8 long", entry: TarEntry(path: tarBytes("linkbin"), kind: .symbolicLink, mode: 0o777, modificationTime: 3, linkTarget: (0..<20).flatMap { _ in invalidUTF8 }), expectsPax: true),
        Self(label: "hard link target 100", entry: TarEntry(path: tarBytes("hard100"), kind: .hardLink, mode: 0o644, modificationTime: 4, linkTarget: repeated("h", 100)), expectsPax: false),
        Self(label: "hard link target 101", entry: TarEntry(path: tarBytes("hard101"), kind: .hardLink, mode: 0o644, modificationTime: 4, linkTarget: repeated("h", 101)), expectsPax: true),
        Self(label: "uid 2097151", entry: TarEntry(path: tarBytes("uid-max-octal"), kind: .regular, uid: 2_097_151, gid: 2_097_151, size: 1, modificationTime: 5), expectsPax: false),
        Self(label: "uid 2097152", entry: TarEntry(path: tarBytes("uid-pax"), kind: .regular, uid: 2_097_152, size: 1, modificationTime: 5), expectsPax: true),
        Self(label: "gid 2097152", entry: TarEntry(path: tarBytes("gid-pax"), kind: .regular, gid: 2_097_152, size: 1, modificationTime: 5), expectsPax: true),
        Self(label: "uid and gid UInt32.max", entry: TarEntry(path: tarBytes("ids-max"), kind: .regular, uid: .max, gid: .max - 1, size: 1, modificationTime: 5), expectsPax: true),
        Self(label: "mtime -1", entry: TarEntry(path: tarBytes("before-epoch"), kind: .regular, size: 2, modificationTime: -1), expectsPax: true),
        Self(label: "mtime -1e9", entry: TarEntry(path: tarBytes("long-ago"), kind: .regular, size: 2, modificationTime: -1_000_000_000), expectsPax: true),
        Self(label: "mtime 8^11 - 1", entry: TarEntry(path: tarBytes("late"), kind: .regular, size: 2, modificationTime: 8_589_934_591), expectsPax: false),
        Self(label: "mtime 8^11", entry: TarEntry(path: tarBytes("later"), kind: .regular, size: 2, modificationTime: 8_589_934_592), expectsPax: true),
        Self(label: "fifo", entry: TarEntry(path: tarBytes("pipe"), kind: .fifo, mode: 0o600, modificationTime: 6), expectsPax: false),
        Self(label: "character device", entry: TarEntry(path: tarBytes("dev/null"), kind: .characterDevice, mode: 0o666, modificationTime: 7, deviceMajor: 1, deviceMinor: 3), expectsPax: false),
        Self(label: "block device", entry: TarEntry(path: tarBytes("dev/sda"), kind: .blockDevice, mode: 0o660, modificationTime: 7, deviceMajor: 8, deviceMinor: 2_097_151), expectsPax: false),
        Self(label: "block device major beyond 7 octal digits (base-256)", entry: TarEntry(path: tarBytes("dev/big"), kind: .blockDevice, mode: 0o600, modificationTime: 7, deviceMajor: 4_000_000, deviceMinor: 5), expectsPax: false),
        Self(label: "everything at once", entry: TarEntry(path: (0..<40).flatMap { _ in invalidUTF8 }, kind: .regular, mode: 0o600, uid: 3_000_000, gid: 4_000_000, size: 9 << 30, modificationTime: -86_400), expectsPax: true),
    ]
}
