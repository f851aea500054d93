import Crypto

/// The textual header of an age file (age-encryption.org/v1): the version line, the recipient
/// stanzas and the MAC line.
///
/// Parsing is strict, as the specification requires: LF line endings only, canonical base64,
/// body lines of exactly 64 columns except the last, which is shorter; so re-encoding a parsed
/// header gives back the same bytes, and the MAC is checked over exactly what was read.
public struct AgeHeader: Equatable, Sendable {
    /// The first line of every age v1 file.
    public static let versionLine = "age-encryption.org/v1"
    /// A header larger than this is refused: no stanza of a known recipient type comes close,
    /// and a reader of untrusted input must not buffer without limit.
    public static let maximumSize = 1 << 20

    public var stanzas: [AgeStanza]
    /// The 32-byte HMAC-SHA256 of the header up to and including `---`.
    public var mac: [UInt8]

    public init(stanzas: [AgeStanza], mac: [UInt8]) {
        self.stanzas = stanzas
        self.mac = mac
    }

    /// The bytes the MAC covers: version line, stanzas and `---`.
    public func bytesCoveredByMAC() -> [UInt8] {
        var out = Array(Self.versionLine.utf8)
        out.append(0x0A)
        for stanza in stanzas { out += stanza.encoded() }
        out += Array("---".utf8)
        return out
    }

    /// The whole header, ending with the MAC line's newline.
    public func encoded() -> [UInt8] {
        bytesCoveredByMAC() + Array(" \(AgeBase64.encode(mac))\n".utf8)
    }

    /// The MAC a header with these stanzas must carry under `fileKey`.
    static func computeMAC(coveredBytes: [UInt8], fileKey: SymmetricKey) -> [UInt8] {
        let macKey = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: fileKey, salt: [UInt8](), info: Array("header".utf8), outputByteCount: 32)
        return Array(HMAC<SHA256>.authenticationCode(for: coveredBytes, using: macKey))
    }

    /// Whether the header's MAC matches `fileKey` (compared in constant time).
    func hasValidMAC(fileKey: SymmetricKey) -> Bool {
        let macKey = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: fileKey, salt: [UInt8](), info: Array("header".utf8), outputByteCount: 32)
        return HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: bytesCoveredByMAC(), using: macKey)
    }

    /// The outcome of parsing the start of a file.
    public enum ParseResult: Equatable, Sendable {
        /// The header, and its size in bytes (the payload's 16-byte nonce follows it).
        case complete(AgeHeader, size: Int)
        /// The bytes end before the header does; more input is needed.
        case needMoreInput
    }

    /// Whether `prefix` (the first bytes of a file, at least as many as the version line)
    /// starts like an age file; it tells an encrypted archive from a gzip one by content.
    public static func looksLikeAge<Bytes: Collection<UInt8>>(_ prefix: Bytes) -> Bool {
        let magic = Array((versionLine + "\n").utf8)
        return prefix.count >= magic.count && Array(prefix.prefix(magic.count)) == magic
    }

    /// Parses the header at the start of `bytes`.
    ///
    /// - Throws: ``AgeError`` of kind `.header` when the bytes cannot start an age v1 file.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(AgeError) -> ParseResult {
        var reader = LineReader(bytes: bytes)
        guard let version = reader.nextLine() else {
            if bytes.count >= maximumSize { throw .header("the header is too long") }
            if !Array(versionLine.utf8).starts(with: Array(bytes.prefix(versionLine.utf8.count))) {
                throw .header("not an age file")
            }
            return .needMoreInput
        }
        guard Array(version) == Array(versionLine.utf8) else {
            if version.starts(with: Array("age-encryption.org/".utf8)) {
                throw .header("unsupported age version")
            }
            throw .header("not an age file")
        }
        var stanzas: [AgeStanza] = []
        while true {
            guard let line = reader.nextLine() else {
                if bytes.count >= maximumSize { throw .header("the header is too long") }
                return .needMoreInput
            }
            if line.starts(with: Array("---".utf8)) {
                let mac = try parseMACLine(line)
                return .complete(AgeHeader(stanzas: stanzas, mac: mac), size: reader.offset)
            }
            guard line.starts(with: Array("-> ".utf8)) else {
                throw .header("unexpected line in the header")
            }
            let argumentBytes = line.dropFirst(3).split(separator: 0x20, omittingEmptySubsequences: false)
            guard !argumentBytes.isEmpty, argumentBytes.allSatisfy({ AgeStanza.isValidArgument($0) }) else {
                throw .header("malformed recipient stanza")
            }
            var body: [UInt8] = []
            while true {
                guard let bodyLine = reader.nextLine() else {
                    if bytes.count >= maximumSize { throw .header("the header is too long") }
                    return .needMoreInput
                }
                guard bodyLine.count <= 64, let decoded = AgeBase64.decode(bodyLine) else {
                    throw .header("malformed recipient stanza body")
                }
                body += decoded
                if bodyLine.count < 64 { break }
            }
            stanzas.append(AgeStanza(arguments: argumentBytes.map { String(decoding: $0, as: UTF8.self) }, body: body))
        }
    }

    /// Parses the header at the start of `bytes`.
    public static func parse(_ bytes: [UInt8]) throws(AgeError) -> ParseResult {
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(AgeError) -> ParseResult in try parse(buffer) }
        }
        return try result.get()
    }

    private static func parseMACLine(_ line: Slice<UnsafeRawBufferPointer>) throws(AgeError) -> [UInt8] {
        guard line.count == 3 + 1 + 43, line[line.startIndex + 3] == 0x20,
              let mac = AgeBase64.decode(line.dropFirst(4)), mac.count == 32
        else {
            throw .header("malformed header MAC line")
        }
        return mac
    }

    /// Splits bytes into LF-terminated lines; a line without its LF is not returned.
    private struct LineReader {
        let bytes: UnsafeRawBufferPointer
        var offset = 0

        mutating func nextLine() -> Slice<UnsafeRawBufferPointer>? {
            guard offset < bytes.count,
                  let end = bytes[offset...].firstIndex(of: 0x0A) else { return nil }
            let line = bytes[offset..<end]
            offset = end + 1
            return line
        }
    }
}
