// Only with the ObjectStorage package trait (see Package.swift): the S3 and HTTPS locations.
#if ObjectStorage
import Foundation
import SindriRemote
import SindriSystem

/// Finds and aborts the multipart uploads that killed backups left behind.
///
/// A backup killed with SIGKILL (or a machine that lost power) cannot abort its upload; its
/// parts stay on the server, invisible but billed, until someone aborts it. Two ways do:
/// - every backup to a prefix first aborts the unfinished uploads there whose key is one of
///   ours (an automatic `sindri-backup-*.tar.gz` name in that prefix, or the explicit key) and
///   that showed no activity (no part uploaded) for `quietSeconds`: a backup still running on
///   another machine uploads a part every few seconds, so it is never taken for dead;
/// - `sindri prune-uploads s3://BUCKET/PREFIX/` aborts every unfinished upload under the
///   prefix at once (with `--older-than` to spare recent ones).
public enum S3UploadJanitor {
    /// `sindri prune-uploads`: aborts the unfinished uploads under `s3://BUCKET/PREFIX/` that
    /// showed no activity for `olderThan` seconds (0: all of them, including a backup running
    /// right now). Returns one line per upload.
    public static func prune(_ argument: String, access: RemoteAccess, olderThan: TimeInterval) async throws -> [String] {
        do {
            let location = try S3Location.parse(argument)
            return try await abortStale(client: try access.s3Client(), bucket: location.bucket, prefix: location.key,
                                        quietSeconds: olderThan) { _ in true }
        } catch {
            throw RemoteBridge.engineError(error)
        }
    }

    /// Ten minutes without a part: no running backup is that quiet.
    static let quietSeconds: TimeInterval = 600

    /// One line per upload aborted (or that could not be).
    static func abortStale(client: S3Client, bucket: String, prefix: String, quietSeconds: TimeInterval,
                           now: Date = Date(), matching: (String) -> Bool) async throws -> [String] {
        var notes: [String] = []
        for upload in try await client.listMultipartUploads(bucket: bucket, prefix: prefix) where matching(upload.key) {
            let last = try await client.lastActivity(of: upload, bucket: bucket)
            if quietSeconds > 0 {
                guard let date = parseDate(last), now.timeIntervalSince(date) >= quietSeconds else { continue }
            }
            let location = S3Location(bucket: bucket, key: upload.key)
            do {
                try await client.abortMultipartUpload(location, uploadId: upload.uploadId)
                notes.append("aborted the unfinished upload to \(location) (started \(upload.initiated), last active \(last))")
            } catch {
                notes.append("could not abort the unfinished upload to \(location): \(error)")
            }
        }
        return notes
    }

    /// Whether `key` is an automatic archive name directly in `prefix`.
    static func isAutomaticName(_ key: String, prefix: String) -> Bool {
        guard key.hasPrefix(prefix) else { return false }
        let name = key.dropFirst(prefix.count)
        return !name.contains("/") && name.hasPrefix("sindri-backup-") && name.hasSuffix(".tar.gz")
    }

    /// S3's ISO 8601 dates, with or without fractional seconds.
    static func parseDate(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }
}
#endif
