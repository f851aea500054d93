/// A small, fast, seeded pseudo-random generator (xoshiro256**).
///
/// Every byte of a synthetic workspace derives from one of these, so the same seed always gives the same tree.
/// `SystemRandomNumberGenerator` is never used: it cannot be replayed.
public struct Xoshiro256StarStar: RandomNumberGenerator, Sendable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// Creates a generator whose whole state is expanded from `seed` with SplitMix64, as the xoshiro authors advise.
    public init(seed: UInt64) {
        var splitMix = seed
        func nextSplitMix() -> UInt64 {
            splitMix &+= 0x9E37_79B9_7F4A_7C15
            var z = splitMix
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = nextSplitMix()
        s1 = nextSplitMix()
        s2 = nextSplitMix()
        s3 = nextSplitMix()
    }

    /// Creates an independent stream for a sub-task (a file, a pool) so that its bytes do not depend on
    /// how much randomness other parts of the generator consumed.
    public init(seed: UInt64, stream: UInt64) {
        self.init(seed: seed ^ (stream &* 0xD1B5_4A32_D192_ED03) ^ 0x2545_F491_4F6C_DD1D)
    }

    /// Returns the next 64 random bits.
    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// Returns a value in `0..<bound` (bound > 0) using Lemire's multiply-shift; the tiny bias is irrelevant here.
    @inline(__always)
    public mutating func below(_ bound: Int) -> Int {
        Int(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// Returns a value in `range`.
    @inline(__always)
    public mutating func inRange(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + below(range.upperBound - range.lowerBound + 1)
    }

    /// Returns true with probability `percent`/100.
    @inline(__always)
    public mutating func chance(_ percent: Int) -> Bool {
        below(100) < percent
    }

    /// Returns an index in `0..<count` skewed towards small indices (roughly Zipf-like), as word use is in real text.
    @inline(__always)
    public mutating func skewed(_ count: Int) -> Int {
        let a = below(count)
        let b = below(count)
        let c = below(count)
        return min(a, min(b, c))
    }

    /// Fills `buffer` with random bytes, eight at a time.
    public mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        let words = buffer.count / 8
        var offset = 0
        for _ in 0..<words {
            buffer.storeBytes(of: next(), toByteOffset: offset, as: UInt64.self)
            offset += 8
        }
        if offset < buffer.count {
            var last = next()
            while offset < buffer.count {
                buffer[offset] = UInt8(truncatingIfNeeded: last)
                last >>= 8
                offset += 1
            }
        }
    }
}
