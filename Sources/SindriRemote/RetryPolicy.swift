import Foundation

/// Capped exponential backoff with full jitter, as AWS recommends: attempt `n` waits a random
/// time in `0...min(cap, base * 2^n)`, so many parts failing together do not retry in lockstep.
public struct RetryPolicy: Sendable {
    /// Tries in all, the first included.
    public var maxAttempts: Int
    public var baseDelay: Double
    public var maxDelay: Double

    public init(maxAttempts: Int = 6, baseDelay: Double = 0.2, maxDelay: Double = 5) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// Seconds to wait before retry number `retry` (1 for the first retry).
    public func delay(beforeRetry retry: Int) -> Double {
        let ceiling = min(maxDelay, baseDelay * pow(2, Double(retry - 1)))
        return Double.random(in: 0...ceiling)
    }

    /// Runs `operation`, retrying it while it throws `RetryableFailure`; the last failure's
    /// `final` error is thrown when the attempts run out. Cancellation ends the loop at once.
    public func run<T: Sendable>(_ operation: () async throws -> T) async throws -> T {
        var retry = 0
        while true {
            try Task.checkCancellation()
            do {
                return try await operation()
            } catch let failure as RetryableFailure {
                retry += 1
                if retry >= maxAttempts { throw failure.final }
                try await Task.sleep(nanoseconds: UInt64(delay(beforeRetry: retry) * 1e9))
            }
        }
    }
}

/// A failure worth another try (5xx, 429/SlowDown, a timeout, a dropped connection, a short
/// body); `final` is what the user sees if every try fails.
public struct RetryableFailure: Error, Sendable {
    public let final: RemoteError
    public init(_ final: RemoteError) { self.final = final }
}
