/// The values a pax extended header (`'x'`) overrides for the member that follows it.
///
/// `nil` means "not set": the ustar (or GNU long name) value applies. A record with an empty
/// value deletes an earlier override, as POSIX specifies.
struct TarPaxOverrides: Sendable, Hashable {
    var path: [UInt8]?
    var linkPath: [UInt8]?
    var size: UInt64?
    var uid: UInt32?
    var gid: UInt32?
    var modificationTime: Int64?
}
