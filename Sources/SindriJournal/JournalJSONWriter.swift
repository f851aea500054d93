/// Writes records as compact JSON with a fixed key order, without Foundation's encoder: it is
/// on the applier's hot path (two records per file restored), cannot fail, and its output is the
/// same bytes on every platform. `JournalRecord`'s `Decodable` conformance reads it back; tests
/// check the two agree.
package struct JournalJSONWriter {
    private(set) var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(160) }

    mutating func write(_ record: JournalRecord) {
        raw("{\"type\":")
        string(record.typeName)
        switch record {
        case .begin(let header):
            raw(",\"version\":")
            integer(JournalHeader.currentFormatVersion)
            raw(",\"header\":{\"transactionID\":")
            string(header.transactionID)
            raw(",\"createdAt\":")
            integer(header.createdAt)
            raw(",\"mode\":")
            string(header.mode)
            raw(",\"archive\":")
            string(header.archive)
            raw(",\"snapshotName\":")
            string(header.snapshotName)
            raw("}")
        case .intent(let index, let step):
            raw(",\"index\":")
            integer(index)
            raw(",\"step\":")
            write(step)
        case .done(let index), .undone(let index):
            raw(",\"index\":")
            integer(index)
        case .rollbackStarted(let reason), .rollbackFailed(let reason), .revertStarted(let reason):
            raw(",\"reason\":")
            string(reason)
        case .commitStarted, .committed, .rolledBack, .revertCleared, .reverted:
            break
        }
        raw("}")
    }

    private mutating func write(_ step: JournalStep) {
        raw("{\"op\":")
        string(step.operationName)
        raw(",\"path\":")
        string(JournalBase64.encode(step.path))
        switch step {
        case .createDirectory:
            break
        case .placeNew(_, let name, let placed), .replace(_, let name, let placed):
            raw(",\"staging\":")
            string(JournalBase64.encode(name))
            if let placed { write(placed) }
        case .moveAside(_, let name):
            raw(",\"aside\":")
            string(JournalBase64.encode(name))
        case .keepBackup(_, let backupPath):
            raw(",\"backup\":")
            string(JournalBase64.encode(backupPath))
        case .setAttributes(_, let previous):
            raw(",\"previous\":{\"mode\":")
            integer(previous.mode)
            raw(",\"uid\":")
            integer(previous.uid)
            raw(",\"gid\":")
            integer(previous.gid)
            raw(",\"mtimeSeconds\":")
            integer(previous.mtimeSeconds)
            raw(",\"mtimeNanoseconds\":")
            integer(previous.mtimeNanoseconds)
            raw("}")
        }
        raw("}")
    }

    /// `,"placed":{...}` in `EntryFingerprint`'s key order, optional keys left out when absent.
    private mutating func write(_ placed: EntryFingerprint) {
        raw(",\"placed\":{\"kind\":")
        string(placed.kind.rawValue)
        raw(",\"size\":")
        integer(placed.size)
        raw(",\"mtimeSeconds\":")
        integer(placed.mtimeSeconds)
        raw(",\"mtimeNanoseconds\":")
        integer(placed.mtimeNanoseconds)
        raw(",\"mode\":")
        integer(placed.mode)
        if let sha256 = placed.sha256 {
            raw(",\"sha256\":")
            string(sha256)
        }
        if let target = placed.linkTarget {
            raw(",\"target\":")
            string(JournalBase64.encode(target))
        }
        raw("}")
    }

    private mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    private mutating func integer(_ value: some BinaryInteger) {
        bytes.append(contentsOf: String(value).utf8)
    }

    /// A JSON string: `"` and `\` escaped, control characters as `\u00XX`, everything else as
    /// its UTF-8 bytes (the line therefore never contains a raw newline).
    private mutating func string(_ text: String) {
        let hex = Array("0123456789abcdef".utf8)
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0..<0x20, 0x7F:
                bytes.append(contentsOf: Array("\\u00".utf8))
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0xF)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
