/// How an upload to S3 cuts the archive into parts and where it keeps them until they are sent,
/// chosen from an upper bound of the archive's size so that both S3's limits and our memory
/// bound hold for every archive S3 can store (up to 5 TiB in 10,000 parts).
///
/// Why two ways of holding parts:
/// - **In memory** (archives up to about 300 GiB, which is nearly every backup): `maxInFlight`
///   parts upload side by side while the next one fills. This costs no extra I/O.
/// - **Spooled** (larger archives): keeping six 600 MiB parts in memory would take 3.6 GiB, and
///   fewer, smaller parts cannot fit 5 TiB into 10,000 parts. So each part is written, as it
///   fills, to one unlinked temporary file (`UploadSpool`, a slot per part) and its upload
///   streams it from there, one chunk at a time; a retry reads the slot again. Memory then no
///   longer depends on the part size; the price is writing and reading the archive once more
///   on the local disk, which needs `(maxInFlight + 1) * partSize` of free space in `$TMPDIR`
///   (about 3 GiB for a 5 TiB archive).
///
/// Either way, every request body is streamed in `chunkSize` pieces, never copied whole (a
/// copy of each part in flight would double the memory).
struct S3PartPlan: Equatable, Sendable {
    /// Bytes of one part (all but the last; the first part is `firstPartSize`).
    var partSize: Int
    /// Parts uploading at once.
    var maxInFlight: Int
    /// Whether parts are spooled to a temporary file rather than held in memory.
    var spooled: Bool

    static let mebibyte = 1 << 20
    /// The first part: held until the end, when the final manifest is written over its start.
    static let firstPartSize = 8 * mebibyte
    /// S3's limits: parts of 5 MiB to 5 GiB (the last may be smaller), at most 10,000 of them.
    static let minimumPartSize = 5 * mebibyte
    static let maximumPartSize = 5 << 30
    static let maximumParts = 10_000
    /// Parts planned for the expected size: the rest is headroom for an estimate that falls short.
    static let plannedParts = 9_000
    /// Below this, per-request latency rather than bandwidth bounds an upload.
    static let smallestPartSize = 16 * mebibyte
    /// What one upload request reads at a time.
    static let chunkSize = mebibyte
    /// What the sink's buffers may take: the 256 MiB bound minus what compression and the
    /// HTTP client hold besides.
    static let memoryBudget = 224 * mebibyte
    /// Parts in flight: enough to keep a link busy (one request at a time is latency-bound).
    static let preferredInFlight = 6
    static let leastInFlightInMemory = 3

    /// The plan for an archive of at most `expectedBytes` (the walk's upper bound).
    init(expectedBytes: UInt64) {
        let mib = Self.mebibyte
        let afterFirst = expectedBytes > UInt64(Self.firstPartSize) ? expectedBytes - UInt64(Self.firstPartSize) : 0
        let needed = Int(afterFirst / UInt64(Self.plannedParts - 1)) + 1
        partSize = min(Self.maximumPartSize, max(Self.smallestPartSize, (needed + mib - 1) / mib * mib))
        // In memory: the first part, the part filling, and `maxInFlight` parts each with a chunk
        // being sent.
        let perPart = partSize + 2 * Self.chunkSize
        let fitting = (Self.memoryBudget - Self.firstPartSize - partSize) / perPart
        if fitting >= Self.leastInFlightInMemory {
            maxInFlight = min(Self.preferredInFlight, fitting)
            spooled = false
        } else {
            maxInFlight = Self.preferredInFlight
            spooled = true
        }
    }

    /// The most the sink holds in memory for its parts (its figure for the 256 MiB bound).
    var memoryBytes: Int {
        let sending = maxInFlight * 2 * Self.chunkSize
        if spooled {
            // The first part, the chunks being sent, and one chunk read back per request.
            return Self.firstPartSize + sending + maxInFlight * Self.chunkSize
        }
        return Self.firstPartSize + partSize + maxInFlight * partSize + sending
    }

    /// Bytes of temporary disk space the spool may take (0 in memory).
    var spoolBytes: Int { spooled ? (maxInFlight + 1) * partSize : 0 }

    /// Parts an archive of `bytes` takes: the first part, then `partSize` pieces.
    func partCount(for bytes: UInt64) -> Int {
        guard bytes > UInt64(Self.firstPartSize) else { return 1 }
        let rest = bytes - UInt64(Self.firstPartSize)
        return 1 + Int((rest + UInt64(partSize) - 1) / UInt64(partSize))
    }
}
