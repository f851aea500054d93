/// `s3://BUCKET/KEY`: where an object (or, with a trailing `/`, a prefix) lives.
public struct S3Location: Sendable, Equatable, CustomStringConvertible {
    public let bucket: String
    /// The key, or the prefix when it is empty or ends in `/`.
    public let key: String

    public init(bucket: String, key: String) {
        self.bucket = bucket
        self.key = key
    }

    /// Whether `argument` names an S3 location (`s3://…`).
    public static func isS3(_ argument: String) -> Bool { argument.lowercased().hasPrefix("s3://") }

    /// Parses `s3://BUCKET/KEY` or `s3://BUCKET/PREFIX/` (or `s3://BUCKET` for the whole bucket).
    ///
    /// - Throws: `RemoteError.invalidLocation` for a missing or malformed bucket name.
    public static func parse(_ argument: String) throws -> S3Location {
        guard isS3(argument) else { throw RemoteError(.invalidLocation, "\(argument) is not an s3:// location") }
        let rest = argument.dropFirst(5)
        let bucket: Substring
        let key: Substring
        if let slash = rest.firstIndex(of: "/") {
            bucket = rest[..<slash]
            key = rest[rest.index(after: slash)...]
        } else {
            bucket = rest
            key = ""
        }
        guard isValidBucketName(bucket) else {
            throw RemoteError(.invalidLocation, "\(argument): '\(bucket)' is not a valid bucket name (3-63 characters: lower-case letters, digits, '.', '-')")
        }
        return S3Location(bucket: String(bucket), key: String(key))
    }

    /// S3's rules, loosely: 3-63 of `a-z 0-9 . -`, starting and ending with a letter or digit.
    /// (Underscores and capitals are tolerated: some S3-compatible servers allow them.)
    static func isValidBucketName(_ name: Substring) -> Bool {
        guard (3...63).contains(name.count), let first = name.first, let last = name.last,
              first.isLetter || first.isNumber, last.isLetter || last.isNumber else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_") }
    }

    /// Whether this names a prefix (a "directory") rather than one object.
    public var isPrefix: Bool { key.isEmpty || key.hasSuffix("/") }

    /// The same bucket with another key.
    public func with(key: String) -> S3Location { S3Location(bucket: bucket, key: key) }

    public var description: String { "s3://\(bucket)/\(key)" }
}
