import Foundation

/// One tar member of a hand-made archive. Everything a hostile or legacy archive can hold: any
/// name (absolute, `..`, control characters), any type, link targets, pax records, a header size
/// that lies about the data, and raw patches of header bytes (applied to the member's last header
/// block, after which the header checksum is recomputed).
struct TarMemberSpec: Encodable, Sendable {
    var name: String
    var type = "file"
    var text: String?
    var base64: String?
    var mode = 0o644
    var mtime = 1_700_000_000
    var uid = 1000
    var gid = 1000
    var linkname = ""
    var devmajor = 0
    var devminor = 0
    /// Pax extended-header records (`path`, `linkpath`, `size`...), written in pax format only.
    var pax: [String: String]?
    /// The size the header declares, when it must differ from the data that follows.
    var declaredSize: Int?
    /// Raw header patches: byte offset within the 512-byte header block, bytes in hex.
    var patches: [HeaderPatch] = []

    struct HeaderPatch: Encodable, Sendable {
        var offset: Int
        var hex: String
    }

    static func file(_ name: String, _ text: String = "", mode: Int = 0o644, mtime: Int = 1_700_000_000) -> TarMemberSpec {
        TarMemberSpec(name: name, text: text, mode: mode, mtime: mtime)
    }

    static func data(_ name: String, _ data: Data, mode: Int = 0o644) -> TarMemberSpec {
        TarMemberSpec(name: name, base64: data.base64EncodedString(), mode: mode)
    }

    static func directory(_ name: String, mode: Int = 0o755) -> TarMemberSpec {
        TarMemberSpec(name: name, type: "dir", mode: mode)
    }

    static func symlink(_ name: String, to target: String) -> TarMemberSpec {
        TarMemberSpec(name: name, type: "symlink", mode: 0o777, linkname: target)
    }

    static func hardLink(_ name: String, to target: String) -> TarMemberSpec {
        TarMemberSpec(name: name, type: "hardlink", linkname: target)
    }

    static func device(_ name: String, type: String, major: Int, minor: Int) -> TarMemberSpec {
        TarMemberSpec(name: name, type: type, devmajor: major, devminor: minor)
    }
}

/// The manifest of a hand-made archive.
struct ManifestSpec: Encodable, Sendable {
    var version = "1.1.0"
    var profile = "standard"
    /// "pending" (no archive checksum) or 64 hex digits.
    var checksum = "pending"
    /// The original tool's manifest: no `extensions` key.
    var legacy = false
}

/// A whole hand-made `.tar.gz`: manifest first (unless told otherwise), the members, then
/// `.backup-checksums.sha256` for every regular-file member, then the end-of-archive blocks.
struct ArchiveSpec: Encodable, Sendable {
    /// "gnu" (long names via ././@LongLink, base-256 numbers), "pax" or "ustar".
    var format = "gnu"
    /// nil: no manifest member at all.
    var manifest: ManifestSpec? = ManifestSpec()
    /// Manifest text used verbatim instead of the generated JSON.
    var manifestText: String?
    /// Put the manifest after the other members instead of first.
    var manifestLast = false
    var checksums = true
    var members: [TarMemberSpec]
    /// "gzip" or "none" (a plain tar).
    var compression = "gzip"

    init(format: String = "gnu", manifest: ManifestSpec? = ManifestSpec(), checksums: Bool = true, _ members: [TarMemberSpec]) {
        self.format = format
        self.manifest = manifest
        self.checksums = checksums
        self.members = members
    }

    /// Writes the archive to `path` with Python's tarfile and gzip.
    func write(to path: String) throws {
        let specPath = path + ".spec.json"
        try JSONEncoder().encode(self).write(to: URL(fileURLWithPath: specPath))
        defer { try? FileManager.default.removeItem(atPath: specPath) }
        let result = try Shell.python(ArchiveForge.script, [specPath, path])
        guard result.status == 0 else { throw RestoreTestError.pythonFailed(result.stderr) }
    }
}

enum ArchiveForge {
    static let script = """
        import base64, gzip, hashlib, json, sys, tarfile
        spec = json.load(open(sys.argv[1]))
        FORMATS = {'gnu': tarfile.GNU_FORMAT, 'pax': tarfile.PAX_FORMAT, 'ustar': tarfile.USTAR_FORMAT}
        TYPES = {'file': tarfile.REGTYPE, 'dir': tarfile.DIRTYPE, 'symlink': tarfile.SYMTYPE, 'hardlink': tarfile.LNKTYPE,
                 'char': tarfile.CHRTYPE, 'block': tarfile.BLKTYPE, 'fifo': tarfile.FIFOTYPE}
        fmt = FORMATS[spec['format']]

        def data_of(m):
            if m.get('base64') is not None:
                return base64.b64decode(m['base64'])
            return (m.get('text') or '').encode('utf-8', 'surrogateescape')

        def with_checksum(block):
            block = bytearray(block)
            block[148:156] = b' ' * 8
            block[148:155] = b'%06o\\0' % sum(block)
            return bytes(block)

        def encode(m, data):
            ti = tarfile.TarInfo(m['name'])
            ti.type = TYPES[m.get('type', 'file')]
            ti.size = m['declaredSize'] if m.get('declaredSize') is not None else len(data)
            ti.mode, ti.mtime = m.get('mode', 0o644), m.get('mtime', 1700000000)
            ti.uid, ti.gid, ti.uname, ti.gname = m.get('uid', 1000), m.get('gid', 1000), 'dev', 'dev'
            ti.linkname = m.get('linkname', '')
            ti.devmajor, ti.devminor = m.get('devmajor', 0), m.get('devminor', 0)
            if m.get('pax'):
                ti.pax_headers = dict(m['pax'])
            header = bytearray(ti.tobuf(fmt, 'utf-8', 'surrogateescape'))
            if m.get('patches'):
                last = bytearray(header[-512:])
                for p in m['patches']:
                    raw = bytes.fromhex(p['hex'])
                    last[p['offset']:p['offset'] + len(raw)] = raw
                header[-512:] = with_checksum(last)
            return bytes(header) + data + b'\\0' * (-len(data) % 512)

        def checksum_line(name, data):
            digest = hashlib.sha256(data).hexdigest().encode()
            if any(c in name for c in b'\\\\\\n\\r'):
                escaped = name.replace(b'\\\\', b'\\\\\\\\').replace(b'\\n', b'\\\\n').replace(b'\\r', b'\\\\r')
                return b'\\\\' + digest + b'  ' + escaped + b'\\n'
            return digest + b'  ' + name + b'\\n'

        body, lines, count, total = b'', b'', 0, 0
        for m in spec['members']:
            data = data_of(m) if m.get('type', 'file') == 'file' else b''
            body += encode(m, data)
            if m.get('type', 'file') == 'file' and m.get('declaredSize') is None:
                name = (m.get('pax') or {}).get('path', m['name']).encode('utf-8', 'surrogateescape')
                lines += checksum_line(name, data)
                count, total = count + 1, total + len(data)

        manifest = b''
        if spec.get('manifestText') is not None:
            manifest = encode({'name': '.backup-manifest.json'}, spec['manifestText'].encode())
        elif spec.get('manifest') is not None:
            ms = spec['manifest']
            doc = {'version': ms['version'], 'backup_type': ms['profile'], 'created_at': '2024-01-15T10:30:00Z',
                   'created_by': 'sindri-test-forge', 'source': {'instance_name': 'forge', 'provider': 'docker', 'hostname': 'forge'},
                   'profile': ms['profile'], 'compression': 'gzip', 'checksum': {'algorithm': 'sha256', 'value': ms['checksum']},
                   'statistics': {'files_included': count, 'total_size_bytes': total, 'compressed_size_bytes': 0,
                                  'compression_ratio': 0.0, 'duration_seconds': 0.1}}
            if not ms['legacy']:
                doc['extensions'] = {'installed': [], 'versions': {}}
            manifest = encode({'name': '.backup-manifest.json'}, (json.dumps(doc, indent=2) + '\\n').encode())

        trailer = encode({'name': '.backup-checksums.sha256'}, lines) if spec['checksums'] else b''
        if spec.get('manifestLast'):
            tar = body + trailer + manifest
        else:
            tar = manifest + body + trailer
        tar += b'\\0' * 1024
        with open(sys.argv[2], 'wb') as out:
            out.write(gzip.compress(tar, 6, mtime=0) if spec['compression'] == 'gzip' else tar)
        """
}

/// A way to damage a real `sindri backup` archive. Rewrites keep the gzip member framing: only the
/// members whose bytes changed are recompressed, so the gzip CRCs stay valid and only the check
/// under test (per-file checksum, archive checksum, manifest) can notice.
enum ArchiveDamage: String, CaseIterable, Sendable, CustomStringConvertible {
    case empty
    case plainText
    case uncompressedTar
    case truncatedInTheMiddle
    case lastByteMissing
    case truncatedAtMemberBoundary
    case garbageAppended
    case corruptCRC
    case corruptLength
    case flippedCompressedByte
    case flippedContentByte
    case flippedContentByteNoArchiveChecksum
    case alteredChecksumLine
    case wrongArchiveChecksum
    case recompressedWithStaleChecksum
    case noManifest
    case manifestNotJSON
    case manifestMissingFields

    var description: String { rawValue }

    /// Writes the damaged copy of `original` to `path`.
    func make(from original: String, at path: String) throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: original))
        func write(_ data: Data) throws { try data.write(to: URL(fileURLWithPath: path)) }
        func flip(at index: Int) throws {
            var copy = bytes
            copy[index] ^= 0xFF
            try write(copy)
        }
        switch self {
        case .empty: try write(Data())
        case .plainText: try write(Data("this is not a backup archive\n".utf8))
        case .truncatedInTheMiddle: try write(bytes.prefix(bytes.count / 2))
        case .lastByteMissing: try write(bytes.prefix(bytes.count - 1))
        case .garbageAppended: try write(bytes + Data("trailing garbage that is not gzip".utf8))
        case .corruptCRC: try flip(at: bytes.count - 8)
        case .corruptLength: try flip(at: bytes.count - 1)
        case .flippedCompressedByte: try tamper("flip-compressed", original, path)
        case .uncompressedTar: try tamper("gunzip", original, path)
        case .truncatedAtMemberBoundary: try tamper("drop-last-member", original, path)
        case .flippedContentByte: try tamper("flip-content", original, path)
        case .flippedContentByteNoArchiveChecksum: try tamper("flip-content-pending", original, path)
        case .alteredChecksumLine: try tamper("alter-checksum-line", original, path)
        case .wrongArchiveChecksum: try tamper("wrong-archive-checksum", original, path)
        case .recompressedWithStaleChecksum: try tamper("recompress", original, path)
        case .noManifest: try tamper("drop-manifest", original, path)
        case .manifestNotJSON: try tamper("manifest-not-json", original, path)
        case .manifestMissingFields: try tamper("manifest-missing-fields", original, path)
        }
    }

    /// Rewrites that must still restore: they prove the tampering machinery alone breaks nothing.
    enum Control: String, CaseIterable, Sendable {
        /// The manifest's archive checksum replaced by "pending", data members untouched.
        case archiveChecksumPending = "pending"
        /// Gunzipped and recompressed as one gzip member, archive checksum "pending".
        case recompressedSingleMemberPending = "recompress-pending"

        func make(from original: String, at path: String) throws { try tamper(rawValue, original, path) }
    }
}

/// Runs one named operation of the tamper script on a real archive.
func tamper(_ operation: String, _ source: String, _ destination: String) throws {
    let result = try Shell.python(ArchiveTamper.script, [operation, source, destination])
    guard result.status == 0 else { throw RestoreTestError.pythonFailed("\(operation): \(result.stderr)") }
}

enum ArchiveTamper {
    static let script = """
        import gzip, io, json, sys, tarfile, zlib
        op, src, dst = sys.argv[1:4]
        raw = open(src, 'rb').read()

        # Split into gzip members: (compressed bytes, decompressed bytes).
        members, pos = [], 0
        while pos < len(raw):
            d = zlib.decompressobj(wbits=31)
            out = d.decompress(raw[pos:])
            if not d.eof:
                sys.exit('unterminated gzip member at %d' % pos)
            end = len(raw) - len(d.unused_data)
            members.append((raw[pos:end], out))
            pos = end
        tar = bytearray(b''.join(m[1] for m in members))
        original = bytes(tar)

        def entries():
            with tarfile.open(fileobj=io.BytesIO(original), mode='r:') as t:
                return t.getmembers()

        def manifest_entry():
            first = entries()[0]
            if first.name != '.backup-manifest.json':
                sys.exit('first member is %s' % first.name)
            return first

        def set_manifest(text):
            m = manifest_entry()
            if len(text) + 1 > m.size:
                sys.exit('manifest text does not fit')
            tar[m.offset_data:m.offset_data + m.size] = text.encode() + b' ' * (m.size - len(text) - 1) + b'\\n'

        def edit_manifest(change):
            m = manifest_entry()
            doc = json.loads(original[m.offset_data:m.offset_data + m.size].decode())
            change(doc)
            set_manifest(json.dumps(doc, indent=2, sort_keys=True))

        def pending(doc):
            doc['checksum']['value'] = 'pending'

        def last_content_member():
            files = [e for e in entries() if e.isreg() and e.size > 0 and not e.name.startswith('.backup-')]
            return files[-1]

        def reframe():
            # Recompress only the members whose decompressed bytes changed; keep the framing.
            out, start = b'', 0
            for compressed, plain in members:
                now = bytes(tar[start:start + len(plain)])
                out += compressed if now == plain else gzip.compress(now, 6, mtime=0)
                start += len(plain)
            return out

        if op == 'gunzip':
            result = original
        elif op == 'drop-last-member':
            result = raw[:len(raw) - len(members[-1][0])]
        elif op == 'drop-manifest':
            if len(members) < 2:
                sys.exit('single-member archive')
            result = raw[len(members[0][0]):]
        elif op == 'flip-compressed':
            # A byte in the middle of the largest member's deflate data, away from its header and trailer.
            index = max(range(len(members)), key=lambda i: len(members[i][0]))
            start = sum(len(m[0]) for m in members[:index])
            size = len(members[index][0])
            corrupt = bytearray(raw)
            corrupt[start + size // 2] ^= 0xFF
            result = bytes(corrupt)
        elif op in ('flip-content', 'flip-content-pending'):
            e = last_content_member()
            tar[e.offset_data + e.size // 2] ^= 0x01
            if op == 'flip-content-pending':
                edit_manifest(pending)
            result = reframe()
        elif op == 'alter-checksum-line':
            edit_manifest(pending)
            e = [x for x in entries() if x.name == '.backup-checksums.sha256'][0]
            first = e.offset_data
            tar[first] = ord('0') if tar[first] != ord('0') else ord('1')
            result = reframe()
        elif op == 'wrong-archive-checksum':
            def wrong(doc):
                value = doc['checksum']['value']
                doc['checksum']['value'] = ('0' if value[:1] != '0' else '1') + ('0' * 63 if len(value) != 64 else value[1:])
            edit_manifest(wrong)
            result = reframe()
        elif op == 'pending':
            edit_manifest(pending)
            result = reframe()
        elif op == 'recompress':
            result = gzip.compress(original, 6, mtime=0)
        elif op == 'recompress-pending':
            edit_manifest(pending)
            result = gzip.compress(bytes(tar), 6, mtime=0)
        elif op == 'manifest-not-json':
            set_manifest('{ this is not json')
            result = reframe()
        elif op == 'manifest-missing-fields':
            set_manifest('{"version": "1.1.0"}')
            result = reframe()
        else:
            sys.exit('unknown operation ' + op)
        open(dst, 'wb').write(result)
        """
}
