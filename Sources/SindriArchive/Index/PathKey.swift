/// A path (raw bytes) as a dictionary key, hashed in one call over its bytes.
///
/// `[UInt8]`'s own `Hashable` feeds the hasher one byte at a time: with tens of thousands of
/// paths looked up per incremental backup, that alone cost more than the lookups' purpose.
public struct PathKey: Hashable, Sendable {
    public let bytes: [UInt8]

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    public static func == (a: PathKey, b: PathKey) -> Bool { a.bytes == b.bytes }
}
