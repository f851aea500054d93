import Foundation

/// The AWS CLI's view of the test bucket (`aws s3api … --output json`).
enum AWSCLI {
    static func json(_ arguments: [String], server: S3TestServer) throws -> [String: Any] {
        let result = try runTool(["aws"] + arguments + ["--output", "json"], environment: server.environment())
        guard result.status == 0 else { throw TestServerError(message: "aws \(arguments.joined(separator: " ")): \(result.stderr)") }
        guard !result.stdout.isEmpty else { return [:] }
        return try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any] ?? [:]
    }

    /// The keys under `prefix` (`list-objects-v2`).
    static func objects(_ server: S3TestServer, prefix: String) throws -> [String] {
        let listing = try json(["s3api", "list-objects-v2", "--bucket", server.bucket, "--prefix", prefix], server: server)
        return ((listing["Contents"] as? [[String: Any]]) ?? []).compactMap { $0["Key"] as? String }
    }

    /// The keys of the unfinished multipart uploads under `prefix` (`list-multipart-uploads`).
    static func uploads(_ server: S3TestServer, prefix: String) throws -> [String] {
        let listing = try json(["s3api", "list-multipart-uploads", "--bucket", server.bucket, "--prefix", prefix], server: server)
        return ((listing["Uploads"] as? [[String: Any]]) ?? []).compactMap { $0["Key"] as? String }
    }
}
