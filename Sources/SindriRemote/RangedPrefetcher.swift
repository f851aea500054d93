/// Reads `0..<size` of a remote object in order with a bounded window of parallel ranged GETs.
///
/// Up to `window` chunks are in flight at once; the consumer takes them in order, and each one
/// taken starts the next, so memory stays at `window * chunkSize` whatever the object's size,
/// while the network keeps `window` requests busy (that is what brings object storage to local
/// speed: one GET at a time is bound by latency, not bandwidth).
public actor RangedPrefetcher {
    public typealias Fetch = @Sendable (Range<UInt64>) async throws -> [UInt8]

    private let fetch: Fetch
    private let size: UInt64
    private let chunkSize: UInt64
    private let window: Int
    private var nextOffset: UInt64
    private var inFlight: [Task<[UInt8], Error>] = []

    public init(start: UInt64 = 0, size: UInt64, chunkSize: Int = 8 << 20, window: Int = 8, fetch: @escaping Fetch) {
        self.fetch = fetch
        self.size = size
        self.chunkSize = UInt64(max(1, chunkSize))
        self.window = max(1, window)
        self.nextOffset = min(start, size)
    }

    /// The next chunk in order, or nil past the end.
    public func next() async throws -> [UInt8]? {
        fill()
        guard !inFlight.isEmpty else { return nil }
        let task = inFlight.removeFirst()
        let bytes: [UInt8]
        do {
            bytes = try await withTaskCancellationHandler {
                try await task.value
            } onCancel: {
                task.cancel()
            }
        } catch {
            cancel()
            throw error
        }
        fill()
        return bytes
    }

    /// Stops every request in flight (after a failure, or when the reader stops early).
    public func cancel() {
        for task in inFlight { task.cancel() }
        inFlight.removeAll()
        nextOffset = size
    }

    private func fill() {
        while inFlight.count < window, nextOffset < size {
            let range = nextOffset..<min(size, nextOffset + chunkSize)
            nextOffset = range.upperBound
            let fetch = self.fetch
            inFlight.append(Task { try await fetch(range) })
        }
    }
}
