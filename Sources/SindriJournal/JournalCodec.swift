import Foundation

/// The journal's on-disk format: one record per line,
/// `<16 hex digits of FNV-1a 64 of the JSON> <JSON object>\n`.
///
/// Why line by line with a checksum: the journal is only ever appended to, one `write` per batch
/// of whole lines, and fsynced before any step it announces. A power loss can therefore only
/// damage what came after the last fsync: the tail. The checksum tells a torn tail (ignored: what
/// it announced was never done) from damage in the middle (an error: the journal cannot be
/// trusted). JSON keeps the file readable by a human in an emergency; paths inside it are base64
/// because they are bytes.
public enum JournalCodec {
    /// The bytes of one record: checksum, space, JSON, newline. The JSON has a fixed key order,
    /// so the same record always gives the same bytes.
    public static func encode(_ record: JournalRecord) -> [UInt8] {
        var json = JournalJSONWriter()
        json.write(record)
        let checksum = JournalChecksum.hexDigits(JournalChecksum.fnv1a64(json.bytes))
        var line = checksum
        line.reserveCapacity(checksum.count + json.bytes.count + 2)
        line.append(UInt8(ascii: " "))
        line.append(contentsOf: json.bytes)
        line.append(UInt8(ascii: "\n"))
        return line
    }

    /// How many home paths a journal's restore placed or created (its `placeNew`, `replace` and
    /// `createDirectory` intents), counted on the raw lines without decoding them: `sindri
    /// rollback --list` shows it for every journal, and decoding them all would cost seconds.
    public static func countIntents(_ text: [UInt8]) -> Int {
        let intent = Array("{\"type\":\"intent\",\"index\":".utf8)
        let counted = ["placeNew", "replace", "createDirectory"].map { Array("\"step\":{\"op\":\"\($0)\"".utf8) }
        var count = 0
        var lineStart = 0
        while lineStart < text.count {
            let newline = text[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? text.count
            // `<16 hex digits> {"type":"intent","index":N,"step":{"op":"...`
            let json = lineStart + 17
            if json + intent.count <= newline, text[json..<(json + intent.count)].elementsEqual(intent) {
                var position = json + intent.count
                while position < newline, text[position] >= UInt8(ascii: "0"), text[position] <= UInt8(ascii: "9") { position += 1 }
                if position < newline, text[position] == UInt8(ascii: ",") {
                    position += 1
                    if counted.contains(where: { position + $0.count <= newline && text[position..<(position + $0.count)].elementsEqual($0) }) {
                        count += 1
                    }
                }
            }
            lineStart = newline + 1
        }
        return count
    }

    /// The bytes of several records, to be appended with one `write`.
    public static func encode(_ records: [JournalRecord]) -> [UInt8] {
        var out: [UInt8] = []
        for record in records { out.append(contentsOf: encode(record)) }
        return out
    }

    /// Decodes a journal read from disk, ignoring a torn last line.
    ///
    /// - Throws: ``JournalDecodingError`` for a damaged line that is not the last one, or for a
    ///   line whose checksum holds but whose content is not a valid record.
    public static func decode(_ text: [UInt8]) throws(JournalDecodingError) -> [JournalRecord] {
        try decodeJournal(text).records
    }

    /// Decodes a journal read from disk and tells how much of it is sound.
    ///
    /// Exactly one trailing line may be torn: bytes after the last newline (a write cut short,
    /// or zeros where the file grew but the data never reached the disk), or a last complete line
    /// that fails its checksum. Such a line is dropped and reported in ``DecodedJournal/tornTail``;
    /// before appending to the journal again the applier truncates it to
    /// ``DecodedJournal/validByteCount`` so that the torn bytes do not end up in the middle.
    ///
    /// - Throws: ``JournalDecodingError`` with kind `corruptLine` for a damaged line followed by
    ///   more data, or `invalidRecord` for a line that passes its checksum but does not decode.
    public static func decodeJournal(_ text: [UInt8]) throws(JournalDecodingError) -> DecodedJournal {
        var records: [JournalRecord] = []
        let decoder = JSONDecoder()
        var lineStart = 0
        var lineNumber = 1
        while lineStart < text.count {
            guard let newline = text[lineStart...].firstIndex(of: UInt8(ascii: "\n")) else {
                // No newline: the last write was cut short. Whatever it said was never fsynced,
                // so nothing was done on its account.
                return DecodedJournal(
                    records: records, validByteCount: lineStart,
                    tornTail: .init(lineNumber: lineNumber, byteOffset: lineStart, byteCount: text.count - lineStart))
            }
            let line = text[lineStart..<newline]
            switch parse(line, decoder: decoder) {
            case .record(let record):
                records.append(record)
            case .damaged(let why):
                if newline + 1 == text.count {
                    return DecodedJournal(
                        records: records, validByteCount: lineStart,
                        tornTail: .init(lineNumber: lineNumber, byteOffset: lineStart, byteCount: text.count - lineStart))
                }
                throw JournalDecodingError(
                    kind: .corruptLine, lineNumber: lineNumber, byteOffset: lineStart,
                    message: "\(why), and more lines follow: the journal is damaged in the middle")
            case .invalid(let why):
                throw JournalDecodingError(
                    kind: .invalidRecord, lineNumber: lineNumber, byteOffset: lineStart, message: why)
            }
            lineStart = newline + 1
            lineNumber += 1
        }
        return DecodedJournal(records: records, validByteCount: text.count, tornTail: nil)
    }

    /// The first record and the last record of a journal, decoding only those two lines.
    ///
    /// Why: a home keeps the journals of its last restores, one line per step (tens of thousands
    /// for a large home), and every restore, rollback and prune looks at all of them. Most are
    /// finished, and the last line says so. `last` is `nil` unless the text ends with a complete
    /// line that passes its checksum and decodes, so a torn or damaged tail is never mistaken for
    /// a finished journal: callers then decode the whole journal.
    public static func decodeEnds(_ text: [UInt8]) -> (first: JournalRecord?, last: JournalRecord?) {
        let decoder = JSONDecoder()
        var first: JournalRecord?
        if let newline = text.firstIndex(of: UInt8(ascii: "\n")), case .record(let record) = parse(text[0..<newline], decoder: decoder) {
            first = record
        }
        guard text.last == UInt8(ascii: "\n") else { return (first, nil) }
        let end = text.count - 1
        let start = text[..<end].lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
        guard case .record(let last) = parse(text[start..<end], decoder: decoder) else { return (first, nil) }
        return (first, last)
    }

    private enum LineContent {
        case record(JournalRecord)
        /// Not what the writer wrote: torn or damaged.
        case damaged(String)
        /// Exactly what some writer wrote (checksum holds), but not a record we accept.
        case invalid(String)
    }

    private static func parse(_ line: ArraySlice<UInt8>, decoder: JSONDecoder) -> LineContent {
        guard line.count > 17, line[line.startIndex + 16] == UInt8(ascii: " "),
              let stored = JournalChecksum.parseHexDigits(line.prefix(16))
        else { return .damaged("line is not `<checksum> <json>`") }
        let json = line.dropFirst(17)
        guard JournalChecksum.fnv1a64(json) == stored else { return .damaged("checksum mismatch") }
        do {
            return .record(try decoder.decode(JournalRecord.self, from: Data(json)))
        } catch {
            return .invalid("record does not decode: \(describe(error))")
        }
    }

    private static func describe(_ error: any Error) -> String {
        switch error as? DecodingError {
        case .dataCorrupted(let context), .keyNotFound(_, let context), .typeMismatch(_, let context),
             .valueNotFound(_, let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
        default:
            return String(describing: error)
        }
    }
}

/// A journal as read back from disk.
public struct DecodedJournal: Sendable, Hashable {
    /// A trailing line that was dropped because a crash tore it.
    public struct TornTail: Sendable, Hashable {
        /// Its 1-based line number.
        public var lineNumber: Int
        /// Offset of its first byte.
        public var byteOffset: Int
        /// How many bytes were dropped (through the end of the file).
        public var byteCount: Int

        /// Creates a description of a torn tail.
        public init(lineNumber: Int, byteOffset: Int, byteCount: Int) {
            self.lineNumber = lineNumber
            self.byteOffset = byteOffset
            self.byteCount = byteCount
        }
    }

    /// The sound records, in order.
    public var records: [JournalRecord]
    /// Length of the sound prefix; truncate the file to this before appending.
    public var validByteCount: Int
    /// The dropped torn line, if there was one.
    public var tornTail: TornTail?

    /// Creates a decoded journal.
    public init(records: [JournalRecord], validByteCount: Int, tornTail: TornTail?) {
        self.records = records
        self.validByteCount = validByteCount
        self.tornTail = tornTail
    }
}
