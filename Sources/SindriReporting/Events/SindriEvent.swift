import Foundation
import SindriArchive
#if canImport(Glibc)
import Glibc
import SindriBackup
import SindriSystem
#endif

/// One message of the machine-readable stream that `sindri --json` writes, one JSON object per line.
///
/// The library produces these values and the command line only encodes them (``jsonLine()``), so a
/// program that links SindriBackup sees exactly what a script reading `sindri ... --json` sees.
///
/// ## Schema (JSON Lines)
///
/// Every object has `message_type`, one of the five below; other keys depend on it and are omitted
/// when they do not apply (never `null`). Sizes are bytes (integers), times are RFC 3339 strings in
/// UTC, durations are seconds (numbers, millisecond precision), paths are escaped with
/// `PathBytes.display` (valid UTF-8 kept; control characters, backslashes and invalid bytes as
/// `\n`, `\\`, `\xNN`), so every path fits on one line whatever its bytes. Whenever that rendering
/// is not the name itself (the name is not valid UTF-8, or holds a character that was escaped), a
/// `path_bytes` key (`current_path_bytes` in `status`) beside it holds the exact bytes in base64,
/// so a script can still name the file: `jq -r '.path_bytes // empty' | base64 -d`.
///
/// - `status`: periodic progress. `command`, `seconds_elapsed`, `seconds_remaining` (when it can be
///   estimated), `percent_done` (a fraction, 0-1, as restic writes it), `phase` (what the command is
///   doing: `archiving`, `reading`, `planning`, `snapshot`, `applying`, `committing`), `files_done`, `total_files`, `bytes_done`, `total_bytes`,
///   `bytes_written` (output so far, e.g. compressed bytes), `error_count`, `current_path`,
///   `current_path_bytes`.
/// - `item`: one path's result, with `-v` or `--dry-run` (and each member for `list`). `action`
///   (`include`, `exclude`, `list`, or a command's own verb), `path`, `path_bytes`, `type` (`file`, `directory`,
///   `symlink`, `hardlink`, `chardev`, `blockdev`, `fifo`, `other`), `rule` (what decided it),
///   `size`, `mode` (permission bits as an integer), `mtime`, `uid`, `gid`, `link_target`, `message`.
/// - `warning`: a non-fatal problem. `message`, `path`, `path_bytes`.
/// - `summary`: the last message of a successful run (also with warnings). `command`, `dry_run`,
///   `exit_code`, then what applies: `files`, `members`, `total_bytes`, `archive_bytes`,
///   `archive_path`, `checksum_path`, `compression_ratio` (archive bytes / content bytes),
///   `started_at`, `duration_seconds`, `warning_count`, `profile`, `home`, `manifest` (the
///   archive's manifest object as stored), `details` (a command-specific object, e.g. `bench`'s report).
/// - `exit_error`: the run failed; the last message. `code` (the process exit status), `message`,
///   `error_code` (a stable `SindriError.Code` name, when known), `path`.
public enum SindriEvent: Sendable, Equatable, Codable {
    case status(Status)
    case item(Item)
    case warning(Warning)
    case summary(Summary)
    case exitError(ExitError)

    /// The value of `message_type` for each case.
    public enum MessageType: String, Sendable, Codable, CaseIterable {
        case status, item, warning, summary
        case exitError = "exit_error"
    }

    /// Progress of a running command.
    public struct Status: Sendable, Equatable, Codable {
        public var command: String
        public var secondsElapsed: Double
        public var secondsRemaining: Double?
        public var percentDone: Double
        public var filesDone: Int
        public var totalFiles: Int
        public var bytesDone: UInt64
        public var totalBytes: UInt64
        public var bytesWritten: UInt64?
        public var errorCount: Int
        public var currentPath: String?
        public var currentPathBytes: String?
        public var phase: String?

        public init(
            command: String, secondsElapsed: Double, secondsRemaining: Double? = nil, percentDone: Double,
            filesDone: Int, totalFiles: Int, bytesDone: UInt64, totalBytes: UInt64, bytesWritten: UInt64? = nil,
            errorCount: Int = 0, currentPath: String? = nil, currentPathBytes: String? = nil, phase: String? = nil
        ) {
            self.command = command
            self.secondsElapsed = secondsElapsed
            self.secondsRemaining = secondsRemaining
            self.percentDone = percentDone
            self.filesDone = filesDone
            self.totalFiles = totalFiles
            self.bytesDone = bytesDone
            self.totalBytes = totalBytes
            self.bytesWritten = bytesWritten
            self.errorCount = errorCount
            self.currentPath = currentPath
            self.currentPathBytes = currentPathBytes
            self.phase = phase
        }

        enum CodingKeys: String, CodingKey {
            case command, secondsElapsed = "seconds_elapsed", secondsRemaining = "seconds_remaining"
            case percentDone = "percent_done", filesDone = "files_done", totalFiles = "total_files"
            case bytesDone = "bytes_done", totalBytes = "total_bytes", bytesWritten = "bytes_written"
            case errorCount = "error_count", currentPath = "current_path", currentPathBytes = "current_path_bytes", phase
        }
    }

    /// One path's result.
    public struct Item: Sendable, Equatable, Codable {
        public var action: String
        public var path: String
        /// The exact bytes of the name, base64, when `path` is not the name itself (see the schema).
        public var pathBytes: String?
        public var type: String?
        public var rule: String?
        public var size: UInt64?
        public var mode: UInt32?
        public var mtime: String?
        public var uid: UInt32?
        public var gid: UInt32?
        public var linkTarget: String?
        public var message: String?

        public init(
            action: String, path: String, type: String? = nil, rule: String? = nil, size: UInt64? = nil,
            mode: UInt32? = nil, mtime: String? = nil, uid: UInt32? = nil, gid: UInt32? = nil,
            linkTarget: String? = nil, message: String? = nil
        ) {
            self.action = action
            self.path = path
            self.type = type
            self.rule = rule
            self.size = size
            self.mode = mode
            self.mtime = mtime
            self.uid = uid
            self.gid = gid
            self.linkTarget = linkTarget
            self.message = message
        }

        enum CodingKeys: String, CodingKey {
            case action, path, pathBytes = "path_bytes", type, rule, size, mode, mtime, uid, gid, linkTarget = "link_target", message
        }
    }

    /// A non-fatal problem.
    public struct Warning: Sendable, Equatable, Codable {
        public var message: String
        public var path: String?
        public var pathBytes: String?

        public init(message: String, path: String? = nil, pathBytes: String? = nil) {
            self.message = message
            self.path = path
            self.pathBytes = pathBytes
        }

        enum CodingKeys: String, CodingKey { case message, path, pathBytes = "path_bytes" }
    }

    /// The outcome of a successful run.
    public struct Summary: Sendable, Equatable, Codable {
        public var command: String
        public var dryRun: Bool
        public var exitCode: Int32
        public var files: Int?
        public var members: Int?
        public var totalBytes: UInt64?
        public var archiveBytes: UInt64?
        public var archivePath: String?
        public var checksumPath: String?
        public var compressionRatio: Double?
        public var startedAt: String?
        public var durationSeconds: Double?
        public var warningCount: Int?
        public var profile: String?
        public var home: String?
        public var manifest: JSONValue?
        public var details: JSONValue?

        public init(command: String, dryRun: Bool = false, exitCode: Int32 = 0) {
            self.command = command
            self.dryRun = dryRun
            self.exitCode = exitCode
        }

        enum CodingKeys: String, CodingKey {
            case command, dryRun = "dry_run", exitCode = "exit_code", files, members
            case totalBytes = "total_bytes", archiveBytes = "archive_bytes", archivePath = "archive_path"
            case checksumPath = "checksum_path", compressionRatio = "compression_ratio", startedAt = "started_at"
            case durationSeconds = "duration_seconds", warningCount = "warning_count", profile, home, manifest, details
        }
    }

    /// Why a run failed.
    public struct ExitError: Sendable, Equatable, Codable {
        public var code: Int32
        public var message: String
        public var errorCode: String?
        public var path: String?

        public init(code: Int32, message: String, errorCode: String? = nil, path: String? = nil) {
            self.code = code
            self.message = message
            self.errorCode = errorCode
            self.path = path
        }

        enum CodingKeys: String, CodingKey {
            case code, message, errorCode = "error_code", path
        }
    }

    /// This event's `message_type`.
    public var messageType: MessageType {
        switch self {
        case .status: return .status
        case .item: return .item
        case .warning: return .warning
        case .summary: return .summary
        case .exitError: return .exitError
        }
    }

    private enum TypeKey: String, CodingKey { case messageType = "message_type" }

    // `message_type` and the payload's keys share one object. (`jsonLine()` fixes the key order.)
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: TypeKey.self)
        try container.encode(messageType, forKey: .messageType)
        switch self {
        case .status(let payload): try payload.encode(to: encoder)
        case .item(let payload): try payload.encode(to: encoder)
        case .warning(let payload): try payload.encode(to: encoder)
        case .summary(let payload): try payload.encode(to: encoder)
        case .exitError(let payload): try payload.encode(to: encoder)
        }
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: TypeKey.self)
        switch try container.decode(MessageType.self, forKey: .messageType) {
        case .status: self = .status(try Status(from: decoder))
        case .item: self = .item(try Item(from: decoder))
        case .warning: self = .warning(try Warning(from: decoder))
        case .summary: self = .summary(try Summary(from: decoder))
        case .exitError: self = .exitError(try ExitError(from: decoder))
        }
    }

    /// The event as one line of JSON, newline included: the unit `--json` writes.
    ///
    /// `message_type` comes first, then the payload's keys in sorted order, so the same event
    /// always gives the same bytes (`JSONEncoder` keeps no insertion order) and a human skimming
    /// the stream sees each line's kind at its start.
    public func jsonLine() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        let payload: Data
        switch self {
        case .status(let value): payload = try encoder.encode(value)
        case .item(let value): payload = try encoder.encode(value)
        case .warning(let value): payload = try encoder.encode(value)
        case .summary(let value): payload = try encoder.encode(value)
        case .exitError(let value): payload = try encoder.encode(value)
        }
        var bytes = Array("{\"message_type\":\"\(messageType.rawValue)\"".utf8)
        let body = payload.dropFirst()  // the payload object without its opening brace
        if body.first != UInt8(ascii: "}") { bytes.append(UInt8(ascii: ",")) }
        bytes.append(contentsOf: body)
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }

    /// Parses one line of a `--json` stream.
    public static func decode(line: some Collection<UInt8>) throws -> SindriEvent {
        try JSONDecoder().decode(SindriEvent.self, from: Data(line))
    }
}

/// Times and durations as the event schema writes them.
public enum EventTime {
    /// RFC 3339, UTC, whole seconds (`2025-01-31T12:00:00Z`), the manifest's format.
    public static func rfc3339(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }

    /// Appends `value` (non-negative) as exactly `width` zero-padded decimal digits: the one
    /// formatter for per-member dates, which `String(format:)` would make cost microseconds each.
    public static func appendDigits(_ value: Int32, width: Int, to bytes: inout [UInt8]) {
        var divisor: Int32 = 1
        for _ in 1..<width { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }

    /// RFC 3339 for a Unix time in seconds (a tar member's mtime).
    ///
    /// Called once per member by `list --json` and `-v`, so it formats with `gmtime_r` and
    /// integer digits: an `ISO8601DateFormatter` per call made listing 100,000 members take 10 s.
    public static func rfc3339(unixSeconds: Int64) -> String {
        var time = time_t(clamping: unixSeconds)
        var parts = tm()
        guard gmtime_r(&time, &parts) != nil, parts.tm_year + 1900 >= 0, parts.tm_year + 1900 <= 9999 else {
            return rfc3339(Date(timeIntervalSince1970: TimeInterval(unixSeconds)))
        }
        var bytes = [UInt8]()
        bytes.reserveCapacity(20)
        func digits(_ value: Int32, _ width: Int) { appendDigits(value, width: width, to: &bytes) }
        digits(parts.tm_year + 1900, 4); bytes.append(UInt8(ascii: "-"))
        digits(parts.tm_mon + 1, 2); bytes.append(UInt8(ascii: "-"))
        digits(parts.tm_mday, 2); bytes.append(UInt8(ascii: "T"))
        digits(parts.tm_hour, 2); bytes.append(UInt8(ascii: ":"))
        digits(parts.tm_min, 2); bytes.append(UInt8(ascii: ":"))
        digits(parts.tm_sec, 2); bytes.append(UInt8(ascii: "Z"))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Seconds rounded to milliseconds, so streams do not carry binary-fraction noise.
    public static func seconds(_ value: Double) -> Double {
        (value * 1000).rounded() / 1000
    }
}

extension PathBytes {
    /// The `path_bytes` value for a name: its bytes in base64 when `display` had to change it
    /// (invalid UTF-8, or an escaped character), nil when the displayed path is the name itself.
    public static func exactBytesField(_ bytes: [UInt8]) -> String? {
        guard !bytes.isEmpty else { return nil }
        let shown = display(bytes)
        if Array(shown.utf8) == bytes { return nil }
        return Data(bytes).base64EncodedString()
    }
}
