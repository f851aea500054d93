/// Draws file sizes with a log-normal-like spread using integer arithmetic only, so sizes (and therefore whole
/// trees) are identical on every platform, whatever its `exp` and `log` round to.
enum SizeSampler {
    /// Returns a size around `median` whose base-2 logarithm spreads by about `octaves` (standard deviation),
    /// clamped to `range`.
    static func sample(
        median: Int, octaves: Double, range: ClosedRange<Int>, rng: inout Xoshiro256StarStar
    ) -> Int {
        // Sum of three uniforms in [-a, a] has standard deviation a: close enough to a normal for file sizes.
        let spread = Int(octaves * 256)
        var exponent = 0
        for _ in 0..<3 { exponent += rng.inRange(-spread...spread) }
        let whole = exponent >= 0 ? exponent / 256 : -((-exponent + 255) / 256)
        let fraction = exponent - whole * 256
        var size = median * (256 + fraction) / 256
        if whole >= 0 {
            size = whole >= 40 ? range.upperBound : size << whole
        } else {
            size = -whole >= 40 ? 0 : size >> -whole
        }
        return min(max(size, range.lowerBound), range.upperBound)
    }

    /// Splits `total` into at most `maximum` positive parts with random weights (the last part takes the rest).
    static func split(_ total: Int64, parts: Int, rng: inout Xoshiro256StarStar) -> [Int64] {
        guard parts > 1 else { return [total] }
        let weights = (0..<parts).map { _ in Int64(rng.inRange(1...10)) }
        let sum = weights.reduce(0, +)
        var result = weights.map { total * $0 / sum }
        result[parts - 1] += total - result.reduce(0, +)
        return result
    }
}
