/// The per-file checksums of an archive in `sha256sum` format, one line per regular file:
/// `<64 hex>  <path>`. Names containing `\`, newline or carriage return use GNU coreutils'
/// escaped form (line starts with `\`, name escapes `\\`, `\n`, `\r`), so
/// `sha256sum -c .backup-checksums.sha256` works on an extracted archive. Names stay bytes.
public struct ChecksumList: Sendable, Equatable {
    /// One file's digest (32 bytes) and its path bytes.
    public struct Line: Sendable, Equatable {
        public var path: [UInt8]
        public var digest: [UInt8]

        public init(path: [UInt8], digest: [UInt8]) {
            self.path = path
            self.digest = digest
        }
    }

    public var lines: [Line]

    public init(lines: [Line] = []) { self.lines = lines }

    /// Errors when reading a checksum member.
    public struct FormatError: Error, Sendable, CustomStringConvertible {
        public let lineNumber: Int
        public var description: String { "malformed checksum line \(lineNumber) in \(CHECKSUMS_FILENAME)" }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Appends the encoded line for one file to `out`.
    public static func appendLine(path: [UInt8], digest: some Collection<UInt8>, to out: inout [UInt8]) {
        let needsEscape = path.contains { $0 == 0x5C || $0 == 0x0A || $0 == 0x0D }
        if needsEscape { out.append(0x5C) }
        for byte in digest {
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 0xF)])
        }
        out.append(0x20)
        out.append(0x20)
        if needsEscape {
            for byte in path {
                switch byte {
                case 0x5C: out.append(0x5C); out.append(0x5C)
                case 0x0A: out.append(0x5C); out.append(UInt8(ascii: "n"))
                case 0x0D: out.append(0x5C); out.append(UInt8(ascii: "r"))
                default: out.append(byte)
                }
            }
        } else {
            out.append(contentsOf: path)
        }
        out.append(0x0A)
    }

    /// The whole member's bytes.
    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(lines.count * 100)
        for line in lines { Self.appendLine(path: line.path, digest: line.digest, to: &out) }
        return out
    }

    /// Parses a checksum member written by `encoded()` (or by `sha256sum`).
    public static func decode(_ bytes: [UInt8]) throws -> ChecksumList {
        var result: [Line] = []
        var lineNumber = 0
        var start = 0
        while start < bytes.count {
            lineNumber += 1
            var end = start
            while end < bytes.count && bytes[end] != 0x0A { end += 1 }
            guard end < bytes.count else { throw FormatError(lineNumber: lineNumber) }
            var cursor = start
            let escaped = bytes[cursor] == 0x5C
            if escaped { cursor += 1 }
            guard end - cursor >= 66 else { throw FormatError(lineNumber: lineNumber) }
            var digest: [UInt8] = []
            digest.reserveCapacity(32)
            for pair in 0..<32 {
                guard let high = hexValue(bytes[cursor + 2 * pair]), let low = hexValue(bytes[cursor + 2 * pair + 1]) else {
                    throw FormatError(lineNumber: lineNumber)
                }
                digest.append(high << 4 | low)
            }
            cursor += 64
            guard bytes[cursor] == 0x20, bytes[cursor + 1] == 0x20 || bytes[cursor + 1] == UInt8(ascii: "*") else {
                throw FormatError(lineNumber: lineNumber)
            }
            cursor += 2
            var path: [UInt8] = []
            if escaped {
                while cursor < end {
                    let byte = bytes[cursor]
                    if byte == 0x5C {
                        guard cursor + 1 < end else { throw FormatError(lineNumber: lineNumber) }
                        switch bytes[cursor + 1] {
                        case 0x5C: path.append(0x5C)
                        case UInt8(ascii: "n"): path.append(0x0A)
                        case UInt8(ascii: "r"): path.append(0x0D)
                        default: throw FormatError(lineNumber: lineNumber)
                        }
                        cursor += 2
                    } else {
                        path.append(byte)
                        cursor += 1
                    }
                }
            } else {
                path = Array(bytes[cursor..<end])
            }
            guard !path.isEmpty else { throw FormatError(lineNumber: lineNumber) }
            result.append(Line(path: path, digest: digest))
            start = end + 1
        }
        return ChecksumList(lines: result)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: return byte - 0x30
        case 0x61...0x66: return byte - 0x61 + 10
        case 0x41...0x46: return byte - 0x41 + 10
        default: return nil
        }
    }
}
