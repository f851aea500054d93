import Foundation

/// JSON form of a step: `{"op":"replace","path":"<base64>","staging":"<base64>"}`.
///
/// Paths are bytes that need not be UTF-8, so they travel as standard base64 rather than as JSON
/// strings. Decoding rejects a step whose paths fail ``JournalStep/validationProblem``.
extension JournalStep: Codable {
    private enum CodingKeys: String, CodingKey {
        case op, path, staging, aside, backup, previous, placed
    }

    /// Encodes the step with base64 paths.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(operationName, forKey: .op)
        try container.encode(JournalBase64.encode(path), forKey: .path)
        switch self {
        case .createDirectory:
            break
        case .placeNew(_, let name, let placed), .replace(_, let name, let placed):
            try container.encode(JournalBase64.encode(name), forKey: .staging)
            try container.encodeIfPresent(placed, forKey: .placed)
        case .moveAside(_, let name):
            try container.encode(JournalBase64.encode(name), forKey: .aside)
        case .keepBackup(_, let backupPath):
            try container.encode(JournalBase64.encode(backupPath), forKey: .backup)
        case .setAttributes(_, let previous):
            try container.encode(previous, forKey: .previous)
        }
    }

    /// Decodes a step and checks its paths.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let op = try container.decode(String.self, forKey: .op)
        func bytes(_ key: CodingKeys) throws -> [UInt8] {
            let text = try container.decode(String.self, forKey: key)
            guard let value = JournalBase64.decode(text) else {
                throw DecodingError.dataCorruptedError(
                    forKey: key, in: container, debugDescription: "not valid base64")
            }
            return value
        }
        let path = try bytes(.path)
        switch op {
        case "createDirectory": self = .createDirectory(path: path)
        case "placeNew":
            self = .placeNew(path: path, stagingName: try bytes(.staging),
                             placed: try container.decodeIfPresent(EntryFingerprint.self, forKey: .placed))
        case "moveAside": self = .moveAside(path: path, asideName: try bytes(.aside))
        case "keepBackup": self = .keepBackup(path: path, backupPath: try bytes(.backup))
        case "replace":
            self = .replace(path: path, stagingName: try bytes(.staging),
                            placed: try container.decodeIfPresent(EntryFingerprint.self, forKey: .placed))
        case "setAttributes":
            self = .setAttributes(path: path, previous: try container.decode(FileAttributes.self, forKey: .previous))
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .op, in: container, debugDescription: "unknown step operation \(op)")
        }
        if let problem = validationProblem {
            throw DecodingError.dataCorruptedError(forKey: .path, in: container, debugDescription: problem)
        }
    }
}

/// Base64 for byte paths (standard alphabet, padded).
package enum JournalBase64 {
    static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
    }

    static func decode(_ text: String) -> [UInt8]? {
        Data(base64Encoded: text).map { [UInt8]($0) }
    }
}
