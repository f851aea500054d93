import Foundation
import Testing
@testable import SindriArchive

@Suite struct BackupIndexCodecTests {
    static let digest = (0..<32).map { UInt8($0 * 7 & 0xFF) }

    static let samples: [BackupIndexEntry] = [
        BackupIndexEntry(path: Array("dir".utf8), kind: .directory, modificationNanoseconds: 1_700_000_000_123_456_789, mode: 0o755),
        BackupIndexEntry(path: Array("dir/file \"q\"\\\n\t\u{1}.txt".utf8), kind: .file, size: 12, modificationNanoseconds: -1_500_000_000,
                         changeNanoseconds: 1_700_000_001_000_000_001, inode: UInt64.max, device: 2049, mode: 0o640, uid: 1000, gid: 100,
                         sha256: digest, archive: String(repeating: "ab", count: 32)),
        BackupIndexEntry(path: [0x66, 0xE9, 0xFF], kind: .symlink, linkTarget: [0x2E, 0x2E, 0xFE]),
        BackupIndexEntry(path: Array("dir/hard".utf8), kind: .hardlink, linkTarget: Array("dir/file".utf8)),
        BackupIndexEntry(path: Array("pipe".utf8), kind: .fifo, mode: 0o600),
        BackupIndexEntry(path: Array("caf\u{e9} \u{1F600}".utf8), kind: .directory),
    ]

    @Test func roundTripsEveryKindAndHostileName() throws {
        let bytes = BackupIndexCodec.encode(Self.samples)
        #expect(try BackupIndexDecoder.decode(bytes) == Self.samples)
    }

    @Test func decodesInArbitraryChunks() throws {
        let bytes = BackupIndexCodec.encode(Self.samples)
        for chunk in [1, 3, 17, 200] {
            var decoder = BackupIndexDecoder()
            var entries: [BackupIndexEntry] = []
            var offset = 0
            while offset < bytes.count {
                try decoder.consume(bytes[offset..<min(offset + chunk, bytes.count)]) { entries.append($0) }
                offset += chunk
            }
            try decoder.finish()
            #expect(entries == Self.samples)
        }
    }

    /// Python's json module (a reader nobody here wrote) reads every line, and the non-UTF-8
    /// names come back exactly through path_b64.
    @Test func pythonReadsEveryLine() throws {
        let bytes = BackupIndexCodec.encode(Self.samples)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sindri-index-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("index.jsonl")
        try Data(bytes).write(to: file)
        let script = """
            import json, sys, base64
            lines = open(sys.argv[1], 'rb').read().decode('utf-8').splitlines()
            header = json.loads(lines[0])
            assert header == {'sindri_index': 1, 'entries': len(lines) - 1}, header
            for line in lines[1:]:
                d = json.loads(line)
                p = d['path'].encode('utf-8') if 'path' in d else base64.b64decode(d['path_b64'])
                print(p.hex(), d['type'])
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, file.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let expected = Self.samples.map { sample in
            sample.path.map { String(format: "%02x", $0) }.joined() + " " + sample.kind.rawValue
        }
        #expect(output.split(separator: "\n").map(String.init) == expected)
    }

    @Test(arguments: [
        ("{\"sindri_index\":1,\"entries\":1}\n", "the index declares 1 entries but holds 0"),
        ("{\"sindri_index\":2,\"entries\":0}\n", "line 1 of the index has an unknown index version 2"),
        ("{\"sindri_index\":1,\"entries\":1}\n{\"path\":\"a\",\"type\":\"file\",\"size\":1}\n", "line 2 of the index has no 'mtime_ns'"),
        ("{\"sindri_index\":1,\"entries\":1}\n{\"path\":\"a\",\"type\":\"sock\"}\n", "line 2 of the index has no known 'type'"),
        ("{\"sindri_index\":1,\"entries\":1}\n{\"path\":\"a\"", "the index ends inside line 2"),
        ("{\"sindri_index\":1,\"entries\":1}\n[1,2]\n", "line 2 of the index is not a JSON object"),
        ("", "the index is empty"),
    ])
    func refusesDamagedIndexInOneSentence(text: String, message: String) {
        #expect(throws: BackupIndexError(message)) { try BackupIndexDecoder.decode(Array(text.utf8)) }
    }

    /// The exact bytes of a line: readers of earlier archives (and scripts) depend on them.
    @Test func writesTheDocumentedLineByteForByte() {
        let bytes = BackupIndexCodec.encode(Array(Self.samples[0...2]))
        let expected = """
            {"sindri_index":1,"entries":3}
            {"path":"dir","type":"directory","size":0,"mtime_ns":1700000000123456789,"ctime_ns":0,"inode":0,"device":0,"mode":493,"uid":0,"gid":0}
            {"path":"dir/file \\"q\\"\\\\\\n\\t\\u0001.txt","type":"file","size":12,"mtime_ns":-1500000000,"ctime_ns":1700000001000000001,"inode":18446744073709551615,"device":2049,"mode":416,"uid":1000,"gid":100,"sha256":"\(Self.digest.map { String(format: "%02x", $0) }.joined())","archive":"\(String(repeating: "ab", count: 32))"}
            {"path_b64":"Zun/","type":"symlink","size":0,"mtime_ns":0,"ctime_ns":0,"inode":0,"device":0,"mode":420,"uid":0,"gid":0,"link_b64":"Li7+"}

            """
        #expect(String(decoding: bytes, as: UTF8.self) == expected)
    }

    /// Any JSON object with these keys is read, as a JSON tool would write it: keys in any
    /// order, blanks, escaped keys, keys the index does not know; a repeated key is refused.
    @Test func readsAnyKeyOrderAndRefusesRepeatedKeys() throws {
        let header = "{\"sindri_index\":1,\"entries\":1}\n"
        let reordered = "{ \"gid\" : 7, \"extra\": [1], \"mode\":420,\"uid\":0,\"p\\u0061th\":\"a\\/b\",\"type\":\"fifo\",\"size\":0,\"mtime_ns\":1,\"ctime_ns\":2,\"inode\":3,\"device\":4}\n"
        #expect(throws: BackupIndexError("line 2 of the index is not a JSON object")) { try BackupIndexDecoder.decode(Array((header + reordered).utf8)) }
        let valid = reordered.replacingOccurrences(of: "\"extra\": [1]", with: "\"extra\": null, \"more\": true")
        let entries = try BackupIndexDecoder.decode(Array((header + valid).utf8))
        #expect(entries == [BackupIndexEntry(path: Array("a/b".utf8), kind: .fifo, modificationNanoseconds: 1, changeNanoseconds: 2,
                                              inode: 3, device: 4, mode: 0o644, uid: 0, gid: 7)])
        for repeated in [valid.replacingOccurrences(of: "\"gid\" : 7", with: "\"gid\" : 7, \"gid\": 7"),
                         valid.replacingOccurrences(of: "\"more\": true", with: "\"more\": true, \"more\": 1")] {
            #expect(throws: BackupIndexError("line 2 of the index is not a JSON object")) { try BackupIndexDecoder.decode(Array((header + repeated).utf8)) }
        }
    }

    @Test func refusesALineLongerThanTheLimitWhereverTheChunksEnd() throws {
        let name = String(repeating: "n", count: BackupIndexCodec.maximumLineLength)
        let text = "{\"sindri_index\":1,\"entries\":1}\n{\"path\":\"\(name)\"}\n"
        #expect(throws: BackupIndexError("line 2 of the index is implausibly long")) { try BackupIndexDecoder.decode(Array(text.utf8)) }
        var decoder = BackupIndexDecoder()
        #expect(throws: BackupIndexError("line 2 of the index is implausibly long")) {
            for piece in Array(text.utf8).chunked(by: 4096) { try decoder.consume(piece) { _ in } }
        }
    }

    @Test func fileWithoutDigestOrArchiveIsRefused() {
        let line = "{\"sindri_index\":1,\"entries\":1}\n{\"path\":\"a\",\"type\":\"file\",\"size\":1,\"mtime_ns\":0,\"ctime_ns\":0,\"inode\":1,\"device\":1,\"mode\":420,\"uid\":0,\"gid\":0}\n"
        #expect(throws: BackupIndexError("line 2 of the index has no SHA-256 for a file")) { try BackupIndexDecoder.decode(Array(line.utf8)) }
    }
}

@Suite struct ChangeDetectionTests {
    static let base = BackupIndexEntry(path: Array("f".utf8), kind: .file, size: 10, modificationNanoseconds: 5_000_000_007,
                                       changeNanoseconds: 6, inode: 7, device: 8, mode: 0o644, uid: 1, gid: 2,
                                       sha256: Array(repeating: 1, count: 32), archive: "x")

    static func current(_ change: (inout BackupIndexEntry) -> Void = { _ in }) -> BackupIndexEntry {
        var entry = base
        entry.sha256 = nil
        entry.archive = nil
        change(&entry)
        return entry
    }

    @Test func sameStatIsUnchanged() {
        #expect(ChangeDetection.decide(current: Self.current(), base: Self.base, baseHasIndex: true, rehash: false) == .unchanged)
    }

    @Test(arguments: ["size", "mtime", "ctime", "inode", "device", "mode", "uid", "gid", "kind"])
    func anyStatFieldChangedIsChanged(field: String) {
        let entry = Self.current { entry in
            switch field {
            case "size": entry.size += 1
            case "mtime": entry.modificationNanoseconds += 1
            case "ctime": entry.changeNanoseconds += 1
            case "inode": entry.inode += 1
            case "device": entry.device += 1
            case "mode": entry.mode = 0o600
            case "uid": entry.uid += 1
            case "gid": entry.gid += 1
            default: entry.kind = .symlink
            }
        }
        #expect(ChangeDetection.decide(current: entry, base: Self.base, baseHasIndex: true, rehash: false) == .changed)
    }

    @Test func rehashComparesDigestWhateverTheCtime() {
        let entry = Self.current { $0.changeNanoseconds += 99; $0.inode += 1 }
        #expect(ChangeDetection.decide(current: entry, base: Self.base, baseHasIndex: true, rehash: true) == .compareDigest(Self.base.sha256!))
        #expect(ChangeDetection.decide(current: Self.current { $0.modificationNanoseconds += 1 }, base: Self.base, baseHasIndex: true, rehash: true) == .changed)
    }

    /// The documented limit: content that changed while size, mtime, ctime, inode, device, mode
    /// and owner all stayed (possible only where ctime is not maintained, or set back by root)
    /// is missed without --rehash, since the content is never read; --rehash reads and compares it.
    @Test func contentChangeBehindAnIdenticalStatIsMissedWithoutRehashOnly() {
        let rewritten = Self.current { $0.sha256 = Array(repeating: 2, count: 32) }
        #expect(ChangeDetection.decide(current: rewritten, base: Self.base, baseHasIndex: true, rehash: false) == .unchanged)
        let decision = ChangeDetection.decide(current: rewritten, base: Self.base, baseHasIndex: true, rehash: true)
        #expect(decision == .compareDigest(Self.base.sha256!))
        #expect(decision != .compareDigest(rewritten.sha256!), "the new content's digest differs from the base's: archived")
    }

    @Test func baseWithoutIndexFallsBackToSizeSecondsAndDigest() {
        var old = Self.base
        old.modificationNanoseconds = 5_000_000_000
        let entry = Self.current { $0.changeNanoseconds = 0; $0.inode = 0 }
        #expect(ChangeDetection.decide(current: entry, base: old, baseHasIndex: false, rehash: false) == .compareDigest(old.sha256!))
        #expect(ChangeDetection.decide(current: Self.current { $0.modificationNanoseconds = 6_000_000_000 }, base: old, baseHasIndex: false, rehash: false) == .changed)
    }

    @Test func diffCountsAddedChangedDeletedAndIgnoresDirectoryTimes() {
        let dir = BackupIndexEntry(path: Array("d".utf8), kind: .directory, modificationNanoseconds: 1)
        var dirLater = dir
        dirLater.modificationNanoseconds = 2
        var edited = Self.base
        edited.sha256 = Array(repeating: 2, count: 32)
        let gone = BackupIndexEntry(path: Array("gone".utf8), kind: .fifo)
        let new = BackupIndexEntry(path: Array("new".utf8), kind: .symlink, linkTarget: [0x61])
        let diff = IndexDiff.between([dir, Self.base, gone], [dirLater, edited, new])
        #expect(diff.added == [Array("new".utf8)])
        #expect(diff.changed == [Array("f".utf8)])
        #expect(diff.deleted == [Array("gone".utf8)])
    }

    @Test func finalStateNamesTheHolderAndRefusesForeignContent() throws {
        var older = Self.base
        older.archive = "old"
        var newer = Self.base
        newer.path = Array("g".utf8)
        newer.archive = "new"
        let state = try ChainFinalState(newest: [older, newer, BackupIndexEntry(path: Array("d".utf8), kind: .directory)], chain: ["new", "mid", "old"])
        #expect(state.items.map(\.holder) == [2, 0, nil])
        #expect(throws: BackupIndexError.self) { try ChainFinalState(newest: [older], chain: ["new"]) }
    }
}

private extension Array {
    func chunked(by size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
