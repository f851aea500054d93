// Only with the ObjectStorage package trait (see Package.swift): the S3 and HTTPS locations.
#if ObjectStorage
import Foundation
import SindriArchive
import SindriCodecs
import SindriRemote
import SindriSystem

/// Reads the base of an incremental backup from an S3 object with ranged GETs: its manifest (the
/// first member, one small GET) and the index at the start of its trailer, never the data in
/// between.
///
/// Where the trailer starts is found from the end of the object: every block records its own
/// compressed length in its gzip header (`BlockMemberHeader`), so the block that ends exactly at
/// the end of the object is found in the last few MiB, then the block that ends where that one
/// starts, and so on back to the first trailer block, which follows a data block (or the
/// manifest, in an archive with no data). A local base hops forward over the data blocks
/// instead (one small `pread` each); over the network that would be one request per block,
/// thousands for a large base, against a few here whatever the base's size. A false match
/// needs sixteen fixed header bytes and a length that lands exactly on the next block.
///
/// An archive without an index (made before archives carried one) is read whole, as a local
/// one is: its tar headers and checksum list are then the only record of its tree.
///
/// Blocking: the requests wait on the calling thread (the engine's, see `RemoteBridge`).
enum S3BaseArchiveReader {
    /// Bytes fetched per request when looking back from the end for the trailer's start.
    static let searchWindow: UInt64 = 4 << 20
    /// The largest block member a writer makes, compressed (stored blocks grow a little).
    static let largestBlock = UInt64(BlockMemberCompressor.maximumBlockSize + (1 << 20))

    /// Reads the object at `location` as a base.
    ///
    /// - Throws: `SindriError` naming the object when it is missing, not one of our archives,
    ///   without an archive checksum, or damaged where it was read.
    static func read(client: S3Client, location: S3Location) throws -> BaseArchive {
        let name = location.description
        let size = try objectSize(client: client, location: location)
        let fetch = fetcher(client: client, location: location)
        guard let (manifest, manifestEnd) = try BaseArchiveReader.head(sequential(fetch, from: 0, size: size)) else {
            throw SindriError(.archiveCorrupt, "\(name) is not a sindri archive (no manifest first)", path: name)
        }
        guard manifest.checksum.isRealSHA256 else {
            throw SindriError(.archiveUnsupported, "\(name) has no archive checksum in its manifest (it was written to standard output), so it cannot be a base", path: name)
        }
        if let trailer = try trailerStart(fetch, size: size, lowerBound: UInt64(manifestEnd)),
           let entries = try BaseArchiveReader.readTrailerIndex(sequential(fetch, from: trailer, size: size), path: name) {
            return BaseArchive(path: name, manifest: manifest, hasIndex: true, entries: entries)
        }
        let source = RemoteByteSource(origin: .s3(client, location), fileSize: size, rangesSupported: true, name: name)
        let entries = try BaseArchiveReader.readWhole({ buffer in
            try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
        }, manifest: manifest, path: name)
        return BaseArchive(path: name, manifest: manifest, hasIndex: false, entries: entries)
    }

    /// The object's size (one HEAD).
    static func objectSize(client: S3Client, location: S3Location) throws -> UInt64 {
        do {
            guard let info = try RemoteBridge.wait({ try await client.headObject(location) }) else {
                throw SindriError(.invalidArgument, "archive \(location) does not exist")
            }
            return info.size
        } catch {
            throw RemoteBridge.engineError(error)
        }
    }

    /// Ranged GETs of the object, from the calling thread.
    static func fetcher(client: S3Client, location: S3Location) -> (Range<UInt64>) throws -> [UInt8] {
        { range in
            do {
                return try RemoteBridge.wait { try await client.getObject(location, range: range) }
            } catch {
                throw RemoteBridge.engineError(error)
            }
        }
    }

    /// The object's bytes from `start` on, one GET per buffer the parser hands in.
    static func sequential(_ fetch: @escaping (Range<UInt64>) throws -> [UInt8], from start: UInt64, size: UInt64) -> BaseArchiveReader.Chunks {
        var position = start
        return { buffer in
            guard position < size else { return 0 }
            let bytes = try fetch(position..<min(size, position + UInt64(buffer.count)))
            guard !bytes.isEmpty else { return 0 }
            buffer.replaceSubrange(0..<bytes.count, with: bytes)
            position += UInt64(bytes.count)
            return bytes.count
        }
    }

    /// The offset of the first trailer block of an object of `size` bytes whose manifest member
    /// ends at `lowerBound`, looking back from the end (see the type's notes); nil when the
    /// object does not end in blocks that chain back to a data block or to the manifest.
    static func trailerStart(_ fetch: (Range<UInt64>) throws -> [UInt8], size: UInt64, lowerBound: UInt64) throws -> UInt64? {
        // Invariant: `window` holds the bytes `windowStart..<chainStart`, and the blocks from
        // `chainStart` to the end are trailer blocks that chain to the end of the object.
        var chainStart = size
        var windowStart = size
        var window: [UInt8] = []
        var span = searchWindow
        while chainStart > lowerBound {
            try Interruption.checkpoint()
            if let (offset, header) = predecessor(of: chainStart, in: window, startingAt: windowStart) {
                // The block before the first trailer block holds data: the trailer starts here.
                if header.kind == .data { return chainStart == size ? nil : chainStart }
                window.removeLast(Int(chainStart - offset))
                chainStart = offset
                continue
            }
            // No block in the window ends at `chainStart`: look further back, unless the window
            // already reaches the manifest or spans more than the largest block.
            guard windowStart > lowerBound, chainStart - windowStart < largestBlock else { return nil }
            let newStart = windowStart - min(span, windowStart - lowerBound)
            window = try fetch(newStart..<windowStart) + window
            guard window.count == Int(chainStart - newStart) else { return nil }
            windowStart = newStart
            span = min(span * 2, largestBlock)
        }
        return chainStart == size ? nil : chainStart
    }

    /// The block header in `window` (which starts at offset `start`) of the block that ends
    /// exactly at `end`, the window's end, searching from the end back.
    private static func predecessor(of end: UInt64, in window: [UInt8], startingAt start: UInt64) -> (UInt64, BlockMemberHeader)? {
        window.withUnsafeBytes { raw in
            var position = raw.count - BlockMemberHeader.size
            while position >= 0 {
                if raw[position] == 0x1F, raw[position + 1] == 0x8B,
                   let header = BlockMemberHeader.parse(UnsafeRawBufferPointer(rebasing: raw[position..<position + BlockMemberHeader.size])),
                   start + UInt64(position) + UInt64(header.compressedLength) == end {
                    return (start + UInt64(position), header)
                }
                position -= 1
            }
            return nil
        }
    }
}
#endif
