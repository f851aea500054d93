import Foundation
import Testing

/// What an archive's headers declare must not choose our memory: block members may declare up
/// to 64 MiB each, and before the bound the inflater held a whole batch of them (4 per core) twice.
@Suite("memory bound of reading archives whose members declare 64 MiB (end to end)")
struct VerifyMemoryBoundTests {
    /// Writes, in our format, an archive of one file of `count` x 64 MiB of zeros cut into block
    /// members of 64 MiB each (the largest the format allows): the manifest (taken from a real
    /// archive, with this archive's figures and data checksum) in a stored member, the data
    /// members with their `S`/`B` header, the checksum list in a `T` member. Python does it in
    /// seconds where a debug build of the writer would take minutes.
    static let forge = #"""
        import gzip, hashlib, io, json, struct, sys, tarfile, zlib
        template, out, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
        block = 64 << 20
        size = count * block
        raw = gzip.open(template).read()
        with tarfile.open(fileobj=io.BytesIO(raw)) as t:
            manifest = json.loads(t.extractfile('.backup-manifest.json').read())

        def header(name, length):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = length, 0o644, 1700000000
            return info.tobuf(format=tarfile.USTAR_FORMAT)

        def pad(length):
            return b'\0' * ((512 - length % 512) % 512)

        def block_member(data, kind):
            c = zlib.compressobj(1, zlib.DEFLATED, -15)
            body = c.compress(data) + c.flush()
            total = 24 + len(body) + 8
            head = bytes([0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 3, 12, 0, ord('S'), ord(kind), 8, 0])
            return head + struct.pack('<II', total, len(data)) + body + struct.pack('<II', zlib.crc32(data), len(data) & 0xffffffff)

        def stored_member(data):
            out = bytearray([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3])
            for i in range(0, len(data), 65535):
                piece = data[i:i + 65535]
                out += bytes([1 if i + 65535 >= len(data) else 0]) + struct.pack('<HH', len(piece), len(piece) ^ 0xffff) + piece
            return bytes(out) + struct.pack('<II', zlib.crc32(data), len(data))

        # Data region: the file's header and its zeros, cut into 64 MiB blocks.
        zeros = bytes(block)
        stream_head = header('zeros.bin', size)
        data_members, digest = [], hashlib.sha256()
        first = stream_head + zeros[:block - len(stream_head)]
        data_members.append(block_member(first, 'B'))
        for _ in range(count - 1):
            data_members.append(block_member(zeros, 'B'))
        data_members.append(block_member(zeros[:len(stream_head)], 'B'))   # the rest (size is a multiple of 512)
        for m in data_members:
            digest.update(m)
        file_digest = hashlib.sha256()
        for _ in range(count):
            file_digest.update(zeros)
        checksums = ('%s  zeros.bin\n' % file_digest.hexdigest()).encode()
        trailer = header('.backup-checksums.sha256', len(checksums)) + checksums + pad(len(checksums)) + b'\0' * 1024

        manifest['checksum']['value'] = digest.hexdigest()
        stats = manifest['statistics']
        stats['files_included'], stats['total_size_bytes'] = 1, size
        body = json.dumps(manifest, indent=2).encode()
        first_member = stored_member(header('.backup-manifest.json', len(body)) + body + pad(len(body)))
        with open(out, 'wb') as f:
            f.write(first_member)
            for m in data_members:
                f.write(m)
            f.write(block_member(trailer, 'T'))
        """#

    @Test("verify of 8 members of 64 MiB each peaks under 256 MiB, accepts the archive, and refuses a damaged copy")
    func largeDeclaredMembers() throws {
        let temp = try TemporaryDirectory("inflate-bound")
        let home = temp.sub("home")
        try CLIFiles.smallHome(at: home)
        let template = temp.path + "/template.tar.gz"
        let made = try Sindri.run(["backup", "--home", home, "-o", template])
        try #require(made.status == 0, "\(made.stderr)")
        let archive = temp.path + "/big-members.tar.gz"
        // 8 members of 64 MiB: one batch of the unbounded inflater on 2 cores held them all (512 MiB).
        let forged = try Shell.python(Self.forge, [template, archive, "8"])
        try #require(forged.status == 0, "\(forged.stderr)")
        let size = try FileManager.default.attributesOfItem(atPath: archive)[.size] as? Int ?? 0
        #expect(size < 4 << 20, "the archive itself is small: \(size) bytes")

        let verified = try MeasuredRun.sindri(["verify", archive], home: temp.path, timeoutSeconds: 300)
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect(verified.maxResidentKiB <= 256 * 1024, "verify peaked at \(verified.maxResidentKiB / 1024) MiB")

        // The same archive with one byte of a 64 MiB member changed: refused (4), still bounded.
        let damaged = temp.path + "/damaged.tar.gz"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: archive))
        bytes[bytes.count / 2] ^= 0x55
        try bytes.write(to: URL(fileURLWithPath: damaged))
        let refused = try MeasuredRun.sindri(["verify", damaged], home: temp.path, timeoutSeconds: 300)
        #expect(refused.status == 4, "\(refused.stderr)")
        #expect(refused.maxResidentKiB <= 256 * 1024, "verify of the damaged copy peaked at \(refused.maxResidentKiB / 1024) MiB")
    }
}
