import Foundation
import SindriArchive
#if canImport(Glibc)
import Glibc
#endif

/// Fills the manifest's `source` and `extensions` from what the home holds.
enum SourceDetector {
    /// The instance name from `<home>/sindri.yaml` (top-level `name:`), else the host name; the
    /// provider from the same file (top-level `provider:`), else `local`. Indented keys belong to
    /// nested maps (an extension's `name:`) and are ignored.
    static func source(home: String) -> SourceInfo {
        let host = hostName()
        var name = host
        var provider = "local"
        if let text = try? String(contentsOfFile: home + "/sindri.yaml", encoding: .utf8) {
            for rawLine in text.split(whereSeparator: \.isNewline) where rawLine.first != " " && rawLine.first != "\t" {
                let line = rawLine.trimmingCharacters(in: .whitespaces)
                if let value = value(of: "name", in: line), !value.isEmpty { name = value }
                if let value = value(of: "provider", in: line), !value.isEmpty { provider = value }
            }
        }
        return SourceInfo(instanceName: name, provider: provider, hostname: host)
    }

    private static func value(of key: String, in line: String) -> String? {
        guard line.hasPrefix(key + ":") else { return nil }
        var value = line.dropFirst(key.count + 1).trimmingCharacters(in: .whitespaces)
        if let hash = value.range(of: " #") { value = String(value[..<hash.lowerBound]) }
        return value.trimmingCharacters(in: CharacterSet(charactersIn: "\"' "))
    }

    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Extensions installed in the home: one entry per name under `workspace/.system/installed/`;
    /// a version from the entry's content (`version: X` or a lone version line) when present.
    static func extensions(home: String) -> ExtensionsInfo {
        let directory = home + "/workspace/.system/installed"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return ExtensionsInfo() }
        var installed: [String] = []
        var versions: [String: String] = [:]
        for entry in names.sorted() where !entry.hasPrefix(".") {
            let name = entry.split(separator: ".").first.map(String.init) ?? entry
            installed.append(name)
            if let text = try? String(contentsOfFile: directory + "/" + entry, encoding: .utf8) {
                for line in text.split(whereSeparator: \.isNewline).map({ $0.trimmingCharacters(in: .whitespaces) }) {
                    if line.hasPrefix("version:") {
                        versions[name] = line.dropFirst(8).trimmingCharacters(in: CharacterSet(charactersIn: "\"' "))
                        break
                    }
                    if ManifestVersion(line) != nil { versions[name] = line; break }
                }
            }
        }
        return ExtensionsInfo(installed: installed, versions: versions)
    }
}
