import CZlib
import Foundation

/// One file of the community age test vectors: its `key: value` header and the age file.
struct AgeTestkitVector: CustomStringConvertible, Sendable {
    enum Expectation: String, Sendable {
        case success
        case noMatch = "no match"
        case hmacFailure = "HMAC failure"
        case headerFailure = "header failure"
        case payloadFailure = "payload failure"
        case armorFailure = "armor failure"
    }

    let name: String
    let expect: Expectation
    /// SHA-256 (hex) of the plaintext released, also before a payload failure.
    let payloadHash: String?
    let identities: [String]
    let passphrases: [String]
    let armored: Bool
    let file: [UInt8]

    var description: String { name }

    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/age-testkit")

    static func all() -> [AgeTestkitVector] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0 != "ABOUT.md" }.sorted().map { load(name: $0) }
    }

    static func load(name: String) -> AgeTestkitVector {
        let data = [UInt8](FileManager.default.contents(atPath: directory.appendingPathComponent(name).path)!)
        var offset = 0
        var fields: [(String, String)] = []
        while true {
            let end = data[offset...].firstIndex(of: 0x0A)!
            let line = String(decoding: data[offset..<end], as: UTF8.self)
            offset = end + 1
            if line.isEmpty { break }
            let parts = line.split(separator: ":", maxSplits: 1)
            fields.append((String(parts[0]), parts[1].trimmingCharacters(in: .whitespaces)))
        }
        func values(_ key: String) -> [String] { fields.filter { $0.0 == key }.map(\.1) }
        var file = Array(data[offset...])
        if values("compressed").first == "zlib" { file = inflateZlib(file) }
        return AgeTestkitVector(
            name: name,
            expect: Expectation(rawValue: values("expect").first!)!,
            payloadHash: values("payload").first,
            identities: values("identity"),
            passphrases: values("passphrase"),
            armored: values("armored").first == "yes",
            file: file)
    }

    /// zlib's `uncompress`, growing the buffer until the output fits.
    private static func inflateZlib(_ input: [UInt8]) -> [UInt8] {
        var capacity = max(1 << 16, input.count * 4)
        while true {
            var output = [UInt8](repeating: 0, count: capacity)
            var length = uLongf(capacity)
            let status = uncompress(&output, &length, input, uLong(input.count))
            if status == Z_OK { return Array(output[..<Int(length)]) }
            precondition(status == Z_BUF_ERROR, "zlib error \(status)")
            capacity *= 4
        }
    }
}
