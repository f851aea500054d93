import Crypto

/// SHA256 of whole files and its hex form, shared by the sidecar, restore's identical-file check
/// and the archive checksums.
package enum FileDigest {
    /// SHA256 of everything readable from `fd`, read with `pread` in 1 MiB chunks from offset 0.
    package static func sha256(of fd: Int32) throws -> [UInt8] {
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var offset: Int64 = 0
        while true {
            let count = try buffer.withUnsafeMutableBytes { try Syscalls.readFully(fd, into: $0, at: offset) }
            if count == 0 { break }
            buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            offset += Int64(count)
        }
        return Array(hasher.finalize())
    }

    /// Lowercase hex, as `sha256sum` prints it.
    package static func hex(_ digest: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
