/// JSON form of a record: `{"type":"intent","index":3,"step":{...}}`; `begin` also carries the
/// journal format version, and decoding refuses versions it does not know.
extension JournalRecord: Codable {
    private enum CodingKeys: String, CodingKey {
        case type, version, header, index, step, reason
    }

    /// The `type` value stored for this record.
    public var typeName: String {
        switch self {
        case .begin: "begin"
        case .intent: "intent"
        case .done: "done"
        case .commitStarted: "commitStarted"
        case .committed: "committed"
        case .rollbackStarted: "rollbackStarted"
        case .undone: "undone"
        case .rolledBack: "rolledBack"
        case .rollbackFailed: "rollbackFailed"
        case .revertStarted: "revertStarted"
        case .revertCleared: "revertCleared"
        case .reverted: "reverted"
        }
    }

    /// Encodes the record as one JSON object.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(typeName, forKey: .type)
        switch self {
        case .begin(let header):
            try container.encode(JournalHeader.currentFormatVersion, forKey: .version)
            try container.encode(header, forKey: .header)
        case .intent(let index, let step):
            try container.encode(index, forKey: .index)
            try container.encode(step, forKey: .step)
        case .done(let index), .undone(let index):
            try container.encode(index, forKey: .index)
        case .rollbackStarted(let reason), .rollbackFailed(let reason), .revertStarted(let reason):
            try container.encode(reason, forKey: .reason)
        case .commitStarted, .committed, .rolledBack, .revertCleared, .reverted:
            break
        }
    }

    /// Decodes a record; unknown types, unknown versions and negative indices are errors.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        func index() throws -> Int {
            let value = try container.decode(Int.self, forKey: .index)
            guard value >= 0 else {
                throw DecodingError.dataCorruptedError(
                    forKey: .index, in: container, debugDescription: "negative step index \(value)")
            }
            return value
        }
        switch type {
        case "begin":
            let version = try container.decode(Int.self, forKey: .version)
            guard version == JournalHeader.currentFormatVersion else {
                throw DecodingError.dataCorruptedError(
                    forKey: .version, in: container,
                    debugDescription: "journal format version \(version) is not supported (expected \(JournalHeader.currentFormatVersion))")
            }
            self = .begin(try container.decode(JournalHeader.self, forKey: .header))
        case "intent": self = .intent(index: try index(), step: try container.decode(JournalStep.self, forKey: .step))
        case "done": self = .done(index: try index())
        case "commitStarted": self = .commitStarted
        case "committed": self = .committed
        case "rollbackStarted": self = .rollbackStarted(reason: try container.decode(String.self, forKey: .reason))
        case "undone": self = .undone(index: try index())
        case "rolledBack": self = .rolledBack
        case "rollbackFailed": self = .rollbackFailed(reason: try container.decode(String.self, forKey: .reason))
        case "revertStarted": self = .revertStarted(reason: try container.decode(String.self, forKey: .reason))
        case "revertCleared": self = .revertCleared
        case "reverted": self = .reverted
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .type, in: container, debugDescription: "unknown record type \(type)")
        }
    }
}
