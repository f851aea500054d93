import Foundation
import SindriJournal
import Testing
import SindriBackup

/// The line format: one checksummed JSON record per line, byte paths in base64, a torn last line
/// ignored, damage in the middle refused.
@Suite struct JournalCodecTests {
    static let nonUTF8: [UInt8] = [0x66, 0x6F, 0xFF, 0x0A, 0x22, 0x5C, 0x80]   // "fo", 0xFF, newline, quote, backslash, 0x80
    static let header = JournalHeader(
        transactionID: "txn-1", createdAt: -5, mode: "merge",
        archive: "/b/\"quoted\"\\back\nnewline\u{1}é😀", snapshotName: "snapshot-txn-1.tar.gz")
    static let attributes = FileAttributes(mode: 0o4755, uid: 4_000_000_000, gid: 0, mtimeSeconds: -86_400, mtimeNanoseconds: 999_999_999)

    static let everyRecord: [JournalRecord] = [
        .begin(header),
        .intent(index: 0, step: .createDirectory(path: Array("a/b".utf8))),
        .intent(index: 1, step: .placeNew(path: nonUTF8, stagingName: [0xFE, 0x31])),
        .intent(index: 2, step: .moveAside(path: Array("x".utf8) + nonUTF8, asideName: Array("2".utf8))),
        .intent(index: 3, step: .keepBackup(path: nonUTF8, backupPath: nonUTF8 + Array(".bak.2".utf8))),
        .intent(index: 4, step: .replace(path: nonUTF8, stagingName: Array("s4".utf8))),
        .intent(index: 5, step: .setAttributes(path: [], previous: attributes)),
        .done(index: 5),
        .commitStarted,
        .committed,
        .rollbackStarted(reason: "ENOSPC: No space left on device\nsecond line"),
        .undone(index: 4),
        .rolledBack,
        .rollbackFailed(reason: "1 undo failed: \"x\""),
    ]

    @Test(arguments: everyRecord)
    func eachRecordRoundTripsAsOneLine(_ record: JournalRecord) throws {
        let line = JournalCodec.encode(record)
        #expect(line.last == UInt8(ascii: "\n"))
        #expect(line.filter { $0 == UInt8(ascii: "\n") }.count == 1, "paths and strings must never add a raw newline")
        #expect(line[16] == UInt8(ascii: " "))
        let checksum = String(decoding: line[..<16], as: UTF8.self)
        #expect(checksum == String(JournalChecksum.fnv1a64(line[17..<(line.count - 1)]), radix: 16).journalLeftPadded(to: 16))
        #expect(try JournalCodec.decode(line) == [record])
    }

    @Test(arguments: everyRecord)
    func codableAgreesWithTheLineWriter(_ record: JournalRecord) throws {
        let viaFoundation = try JSONDecoder().decode(JournalRecord.self, from: JSONEncoder().encode(record))
        #expect(viaFoundation == record)
        let line = JournalCodec.encode(record)
        let json = Data(line[17..<(line.count - 1)])
        #expect(try JSONDecoder().decode(JournalRecord.self, from: json) == record)
    }

    @Test func pathsAreStoredAsBase64() {
        let line = JournalCodec.encode(.intent(index: 1, step: .placeNew(path: Self.nonUTF8, stagingName: [0xFE, 0x31])))
        let text = String(decoding: line, as: UTF8.self)
        #expect(text.contains("\"path\":\"\(Data(Self.nonUTF8).base64EncodedString())\""))
        #expect(text.contains("\"staging\":\"/jE=\""))
    }

    @Test func encodingIsDeterministic() {
        let line = JournalCodec.encode(.done(index: 3))
        #expect(String(decoding: line[17...], as: UTF8.self) == "{\"type\":\"done\",\"index\":3}\n")
        #expect(JournalCodec.encode(Self.everyRecord) == JournalCodec.encode(Self.everyRecord))
        #expect(JournalCodec.encode(Self.everyRecord) == Self.everyRecord.flatMap { JournalCodec.encode($0) })
    }

    @Test(arguments: [
        ("", 0xcbf2_9ce4_8422_2325 as UInt64),
        ("a", 0xaf63_dc4c_8601_ec8c),
        ("foobar", 0x8594_4171_f739_67e8),
    ])
    func fnv1a64MatchesTheReferenceVectors(_ input: String, _ expected: UInt64) {
        #expect(JournalChecksum.fnv1a64(Array(input.utf8)) == expected)
    }

    @Test func anEmptyJournalHasNoRecords() throws {
        let decoded = try JournalCodec.decodeJournal([])
        #expect(decoded.records.isEmpty && decoded.validByteCount == 0 && decoded.tornTail == nil)
    }

    /// A crash can cut the last write anywhere: every prefix of a journal decodes to the records
    /// whose line is complete, and reports where the sound part ends.
    @Test func everyTruncationOfAJournalDecodesToItsCompleteLines() throws {
        let lines = Self.everyRecord.map { JournalCodec.encode($0) }
        let bytes = lines.flatMap { $0 }
        var lineEnds: [Int] = []
        var end = 0
        for line in lines { end += line.count; lineEnds.append(end) }
        for cut in 0...bytes.count {
            let decoded = try JournalCodec.decodeJournal(Array(bytes[..<cut]))
            let complete = lineEnds.filter { $0 <= cut }.count
            #expect(decoded.records == Array(Self.everyRecord.prefix(complete)), "cut at \(cut)")
            let soundEnd = complete == 0 ? 0 : lineEnds[complete - 1]
            #expect(decoded.validByteCount == soundEnd, "cut at \(cut)")
            #expect((decoded.tornTail != nil) == (cut != soundEnd), "cut at \(cut)")
            #expect(decoded.tornTail?.byteCount == (cut != soundEnd ? cut - soundEnd : nil))
        }
    }

    @Test func aDamagedLastLineWithItsNewlineIsTreatedAsTorn() throws {
        var bytes = JournalCodec.encode(Array(Self.everyRecord.prefix(3)))
        let lastStart = JournalCodec.encode(Array(Self.everyRecord.prefix(2))).count
        bytes[lastStart + 30] ^= 0x20
        let decoded = try JournalCodec.decodeJournal(bytes)
        #expect(decoded.records == Array(Self.everyRecord.prefix(2)))
        #expect(decoded.validByteCount == lastStart)
        #expect(decoded.tornTail == DecodedJournal.TornTail(lineNumber: 3, byteOffset: lastStart, byteCount: bytes.count - lastStart))
    }

    @Test(arguments: [1, 100, 4096])
    func aZeroFilledTailIsTreatedAsTorn(_ zeros: Int) throws {
        let sound = JournalCodec.encode(Array(Self.everyRecord.prefix(4)))
        let decoded = try JournalCodec.decodeJournal(sound + [UInt8](repeating: 0, count: zeros))
        #expect(decoded.records == Array(Self.everyRecord.prefix(4)))
        #expect(decoded.validByteCount == sound.count)
    }

    /// `decodeEnds` reads a finished journal's header and final record without decoding the
    /// lines between; it never reports a last record that a full decode would not end with.
    @Test func decodeEndsGivesTheFirstAndLastRecord() {
        let records = Array(Self.everyRecord.prefix(5)) + [.done(index: 4), .commitStarted, .committed]
        let ends = JournalCodec.decodeEnds(JournalCodec.encode(records))
        #expect(ends.first == records.first)
        #expect(ends.last == .committed)
        let single = JournalCodec.decodeEnds(JournalCodec.encode(Self.everyRecord[0]))
        #expect(single.first == Self.everyRecord[0] && single.last == Self.everyRecord[0])
        #expect(JournalCodec.decodeEnds([]).first == nil && JournalCodec.decodeEnds([]).last == nil)
    }

    @Test func decodeEndsAgreesWithAFullDecodeAtEveryTruncation() throws {
        let records: [JournalRecord] = Array(Self.everyRecord.prefix(4)) + [.commitStarted, .committed]
        let bytes = JournalCodec.encode(records)
        for cut in 0...bytes.count {
            let prefix = Array(bytes[..<cut])
            let full = try JournalCodec.decodeJournal(prefix)
            let ends = JournalCodec.decodeEnds(prefix)
            #expect(ends.first == full.records.first, "cut at \(cut)")
            // A torn tail never yields a last record; a clean cut yields exactly the full decode's last.
            #expect(ends.last == (full.tornTail == nil ? full.records.last : nil), "cut at \(cut)")
        }
    }

    @Test func decodeEndsRefusesADamagedLastLine() {
        var bytes = JournalCodec.encode([Self.everyRecord[0], .commitStarted, .committed])
        bytes[bytes.count - 5] ^= 0x01
        let ends = JournalCodec.decodeEnds(bytes)
        #expect(ends.first == Self.everyRecord[0])
        #expect(ends.last == nil)
    }

    /// Damage anywhere but in the last line is not something a crash does: refuse the journal.
    @Test(arguments: [0, 1, 5, 16, 17, 40])
    func corruptionInTheMiddleIsAnError(_ offsetInLine: Int) throws {
        var bytes = JournalCodec.encode(Self.everyRecord)
        let lineStart = JournalCodec.encode(Array(Self.everyRecord.prefix(4))).count
        bytes[lineStart + offsetInLine] ^= 0x01
        #expect {
            try JournalCodec.decode(bytes)
        } throws: { error in
            let error = error as? JournalDecodingError
            return error?.kind == .corruptLine && error?.lineNumber == 5 && error?.byteOffset == lineStart
        }
    }

    @Test func aMissingNewlineInTheMiddleIsAnError() {
        var bytes = JournalCodec.encode(Array(Self.everyRecord.prefix(3)))
        let firstEnd = JournalCodec.encode(Self.everyRecord[0]).count
        bytes.remove(at: firstEnd - 1)  // two records run together
        #expect(throws: JournalDecodingError.self) { try JournalCodec.decode(bytes) }
    }

    @Test func twoDamagedTrailingLinesAreAnError() {
        var bytes = JournalCodec.encode(Array(Self.everyRecord.prefix(3)))
        let lastStart = JournalCodec.encode(Array(Self.everyRecord.prefix(2))).count
        bytes[lastStart + 20] ^= 0x01
        bytes += JournalCodec.encode(Self.everyRecord[3]).prefix(10)
        #expect(throws: JournalDecodingError.self) { try JournalCodec.decode(bytes) }
    }

    @Test func anEmptyLineInTheMiddleIsAnError() {
        let bytes = JournalCodec.encode(Self.everyRecord[0]) + [UInt8(ascii: "\n")] + JournalCodec.encode(Self.everyRecord[1])
        #expect(throws: JournalDecodingError.self) { try JournalCodec.decode(bytes) }
    }

    /// A line with a valid checksum was written exactly like that: if it is not a record we
    /// accept, that is an error even at the end (never silently dropped as "torn").
    @Test(arguments: [
        #"{"type":"explode"}"#,
        #"{"type":"begin","version":2,"header":{"transactionID":"t","createdAt":0,"mode":"m","archive":"a","snapshotName":"s"}}"#,
        #"{"type":"intent","index":0,"step":{"op":"placeNew","path":"Li4vZXRj","staging":"cw=="}}"#,
        #"{"type":"intent","index":0,"step":{"op":"placeNew","path":"L2V0Yw==","staging":"cw=="}}"#,
        #"{"type":"intent","index":0,"step":{"op":"moveAside","path":"YQ==","aside":"YS9i"}}"#,
        #"{"type":"intent","index":0,"step":{"op":"createDirectory","path":"!!"}}"#,
        #"{"type":"done","index":-1}"#,
        #"{"type":"intent","index":0,"step":{"op":"setAttributes","path":"","previous":{"mode":65535,"uid":0,"gid":0,"mtimeSeconds":0,"mtimeNanoseconds":0}}}"#,
    ])
    func aWellChecksummedButInvalidRecordIsRejected(_ json: String) {
        let body = Array(json.utf8)
        let line = Self.checksumHex(body) + [UInt8(ascii: " ")] + body + [UInt8(ascii: "\n")]
        #expect {
            try JournalCodec.decode(JournalCodec.encode(Self.everyRecord[0]) + line)
        } throws: { error in
            (error as? JournalDecodingError)?.kind == .invalidRecord && (error as? JournalDecodingError)?.lineNumber == 2
        }
    }

    static func checksumHex(_ body: [UInt8]) -> [UInt8] {
        Array(String(JournalChecksum.fnv1a64(body), radix: 16).journalLeftPadded(to: 16).utf8)
    }
}

extension String {
    func journalLeftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
