import Foundation

/// An access key pair (and session token), with the place it came from for error messages.
///
/// `description` never shows the secret or the token, so a credential that ends up in a log,
/// an error or `--json` output by mistake still reveals nothing.
public struct AWSCredentials: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    public let accessKeyId: String
    public let secretAccessKey: String
    public let sessionToken: String?
    /// Where they were found, in user words: "the environment (AWS_ACCESS_KEY_ID)",
    /// "profile default in /root/.aws/credentials".
    public let source: String

    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil, source: String) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken.flatMap { $0.isEmpty ? nil : $0 }
        self.source = source
    }

    public var description: String { "credentials from \(source)" }
    public var debugDescription: String { description }
}

/// Where the S3 settings come from, as the AWS command-line tools look for them.
///
/// Order: `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`) in the environment;
/// otherwise the profile `AWS_PROFILE` (or `default`) in the shared credentials file
/// (`AWS_SHARED_CREDENTIALS_FILE`, default `~/.aws/credentials`) and then in the config file
/// (`AWS_CONFIG_FILE`, default `~/.aws/config`, sections `[profile NAME]`). The region is
/// `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's `region`, else `us-east-1`; the endpoint
/// `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, the profile's `endpoint_url`.
public struct AWSEnvironment: Sendable {
    public let variables: [String: String]

    public init(variables: [String: String] = ProcessInfo.processInfo.environment) {
        self.variables = variables
    }

    private func value(_ name: String) -> String? {
        guard let value = variables[name], !value.isEmpty else { return nil }
        return value
    }

    public var profileName: String { value("AWS_PROFILE") ?? value("AWS_DEFAULT_PROFILE") ?? "default" }

    private var home: String { value("HOME") ?? NSHomeDirectory() }

    public var credentialsFilePath: String { value("AWS_SHARED_CREDENTIALS_FILE") ?? home + "/.aws/credentials" }
    public var configFilePath: String { value("AWS_CONFIG_FILE") ?? home + "/.aws/config" }

    /// The credentials, or an error naming every place looked at.
    public func credentials() throws -> AWSCredentials {
        if let key = value("AWS_ACCESS_KEY_ID") {
            guard let secret = value("AWS_SECRET_ACCESS_KEY") else {
                throw RemoteError(.credentials, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not")
            }
            return AWSCredentials(accessKeyId: key, secretAccessKey: secret, sessionToken: value("AWS_SESSION_TOKEN"),
                                  source: "the environment (AWS_ACCESS_KEY_ID)")
        }
        let profile = profileName
        for (path, section) in [(credentialsFilePath, profile), (configFilePath, profile == "default" ? "default" : "profile \(profile)")] {
            guard let ini = try Self.readINI(path) else { continue }
            guard let settings = ini[section], let key = settings["aws_access_key_id"] else { continue }
            guard let secret = settings["aws_secret_access_key"] else {
                throw RemoteError(.credentials, "profile \(profile) in \(path) has aws_access_key_id but no aws_secret_access_key")
            }
            return AWSCredentials(accessKeyId: key, secretAccessKey: secret, sessionToken: settings["aws_session_token"],
                                  source: "profile \(profile) in \(path)")
        }
        throw RemoteError(.credentials, "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE with a profile in \(credentialsFilePath) or \(configFilePath)")
    }

    /// A setting of the profile in the config file (`region`, `endpoint_url`), nil when absent.
    public func profileSetting(_ key: String) -> String? {
        let profile = profileName
        let section = profile == "default" ? "default" : "profile \(profile)"
        guard let ini = try? Self.readINI(configFilePath) else { return nil }
        return ini[section]?[key]
    }

    public var region: String {
        value("AWS_REGION") ?? value("AWS_DEFAULT_REGION") ?? profileSetting("region") ?? "us-east-1"
    }

    public var endpoint: String? {
        value("AWS_ENDPOINT_URL_S3") ?? value("AWS_ENDPOINT_URL") ?? profileSetting("endpoint_url")
    }

    /// Parses an AWS-style INI file: `[section]`, `key = value`, `#`/`;` comments. Returns nil
    /// when the file does not exist; an unreadable file is an error (it was meant to be used).
    static func readINI(_ path: String) throws -> [String: [String: String]]? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RemoteError(.credentials, "cannot read \(path)")
        }
        var sections: [String: [String: String]] = [:]
        var current: String?
        for rawLine in String(decoding: data, as: UTF8.self).split(omittingEmptySubsequences: true, whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                let name = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
                current = name.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
                continue
            }
            guard let section = current, let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            sections[section, default: [:]][key] = value
        }
        return sections
    }
}
