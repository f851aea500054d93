/// FNV-1a, 64-bit: the per-line checksum of the journal.
///
/// It only has to tell a line that was completely written from one torn by a crash or damaged on
/// disk; it is not a defence against someone who can write the journal (they could run any undo
/// they like anyway). Implemented here in a few lines so that the pure journal needs no C library.
public enum JournalChecksum {
    private static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    private static let prime: UInt64 = 0x0000_0100_0000_01b3

    /// The FNV-1a 64 hash of `bytes`.
    public static func fnv1a64(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var hash = offsetBasis
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= prime
        }
        return hash
    }

    /// The hash as 16 lowercase hex digits, as stored at the start of each journal line.
    static func hexDigits(_ value: UInt64) -> [UInt8] {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8](repeating: 0, count: 16)
        var rest = value
        for position in stride(from: 15, through: 0, by: -1) {
            out[position] = digits[Int(rest & 0xF)]
            rest >>= 4
        }
        return out
    }

    /// Parses exactly 16 lowercase hex digits, or returns `nil`.
    static func parseHexDigits(_ bytes: ArraySlice<UInt8>) -> UInt64? {
        guard bytes.count == 16 else { return nil }
        var value: UInt64 = 0
        for byte in bytes {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            default: return nil
            }
            value = value << 4 | UInt64(digit)
        }
        return value
    }
}
