import ArgumentParser
import Foundation
import SindriArchive

/// The environment variables `sindri` reads. A flag on the command line always wins over its
/// variable; an empty variable counts as unset; a variable with an unusable value is a usage
/// error (exit 64) naming it, never silently ignored.
enum SindriEnvironment {
    static let home = "SINDRI_HOME"
    static let profile = "SINDRI_PROFILE"
    static let compression = "SINDRI_COMPRESSION"
    static let excludeFile = "SINDRI_EXCLUDE_FILE"
    static let identityFile = "SINDRI_IDENTITY_FILE"
    static let passphraseFile = "SINDRI_PASSPHRASE_FILE"

    /// The `ENVIRONMENT` section of `sindri --help` and the man page.
    static let helpText = """
        ENVIRONMENT:
          SINDRI_HOME          directory to back up (default: $HOME)
          SINDRI_PROFILE       profile: user-data, standard, full
          SINDRI_COMPRESSION   gzip level 1-9 (default: 6)
          SINDRI_EXCLUDE_FILE  an exclude file (gitignore syntax)
          SINDRI_IDENTITY_FILE an age identity file for encrypted archives
          SINDRI_PASSPHRASE_FILE  a file whose first line is the passphrase
                               (backup --passphrase; encrypted archives)
          TERM                 "dumb": no progress line
          A flag (--home, --profile, --compression, --exclude-file,
          --identity, --passphrase-file, --progress always) wins over its
          variable; an unusable value is
          a usage error (64).
        """

    /// The variable's value, nil when unset or empty.
    static func value(_ name: String) -> String? {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return nil }
        return value
    }

    /// The directory to back up: `--home`, else `SINDRI_HOME`, else `HOME`.
    static func resolveHome(_ flag: String?) throws -> String {
        if let flag { return flag }
        if let value = value(home) { return value }
        if let value = value("HOME") { return value }
        throw ValidationError("no home directory: pass --home, or set SINDRI_HOME or HOME")
    }

    /// The profile: `--profile`, else `SINDRI_PROFILE`, else `standard`.
    static func resolveProfile(_ flag: BackupProfile?) throws -> BackupProfile {
        if let flag { return flag }
        guard let text = value(profile) else { return .default }
        guard let parsed = BackupProfile(rawValue: text) else {
            let names = BackupProfile.allCases.map(\.rawValue).joined(separator: ", ")
            throw ValidationError("\(profile)='\(text)' is not a profile (\(names))")
        }
        return parsed
    }

    /// The gzip level: `--compression`, else `SINDRI_COMPRESSION`, else 6; always 1-9.
    static func resolveCompression(_ flag: Int?) throws -> Int {
        if let flag {
            guard (1...9).contains(flag) else { throw ValidationError("compression level must be between 1 and 9, got \(flag)") }
            return flag
        }
        guard let text = value(compression) else { return 6 }
        guard let level = Int(text), (1...9).contains(level) else {
            throw ValidationError("\(compression)='\(text)' is not a compression level 1-9")
        }
        return level
    }

    /// The exclude files: the `--exclude-file` flags, else `SINDRI_EXCLUDE_FILE`, else none.
    static func resolveExcludeFiles(_ flags: [String]) -> [String] {
        if !flags.isEmpty { return flags }
        return value(excludeFile).map { [$0] } ?? []
    }
}
