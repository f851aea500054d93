import ArgumentParser
import Foundation
import SindriAge
import SindriBackup
#if canImport(Glibc)
import Glibc
import SindriSystem
#endif

/// `sindri keygen`: a new age identity file for encrypted backups.
struct KeygenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Write a new age identity (secret key) file and print its recipient.",
        discussion: """
            The file has age-keygen's format and mode 0600; it is never replaced. The recipient (age1...) goes to standard output: give it to sindri backup --recipient, and keep the identity file away from the backups (without it they cannot be restored).

            EXAMPLES:
              sindri keygen -o ~/.config/sindri/key.txt
                  Prints age1...; keep the file safe, e.g. in a password manager.
              sindri backup --recipient "$(sindri keygen -o key.txt)" -o ./backups/
                  A key and an encrypted backup.
              sindri restore b.tar.gz.age --identity key.txt
              age -d -i key.txt b.tar.gz.age | tar -tz
                  The stock age tool decrypts sindri's encrypted archives.
            """
    )

    @Option(name: [.short, .long], help: ArgumentHelp("The identity file to create (it must not exist).", valueName: "file"),
            completion: .file())
    var output: String

    func validate() throws {
        if output.isEmpty { throw ValidationError("--output must not be empty") }
    }

    func run() async throws {
        let path = output
        let outcome: Result<String, SindriError> = try await BlockingExecutor.shared.run {
            do {
                let identity = AgeX25519Identity()
                try Self.create(path, contents: Array(AgeKeyFile.identityFileText(identity, created: Date()).utf8))
                return .success(identity.recipient.encoded)
            } catch let error as SindriError {
                return .failure(error)
            } catch {
                return .failure(SindriError(.io, "\(path): \(error)"))
            }
        }
        switch outcome {
        case .success(let recipient):
            print(recipient)
            FileHandle.standardError.write(Data("sindri: wrote identity file \(path) (mode 0600); its recipient is \(recipient)\n".utf8))
        case .failure(let error):
            printError("sindri: \(error.message)")
            throw ExitCode(ExitStatus.of(error).rawValue)
        }
    }

    /// Creates `path` with mode 0600 (never replacing a file), writes and fsyncs it, and fsyncs
    /// its directory, so a key that was announced is on disk.
    static func create(_ path: String, contents: [UInt8]) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else {
            let code = errno
            if code == EEXIST { throw SindriError(.invalidArgument, "\(path) already exists; sindri keygen never replaces a key file", path: path) }
            throw SindriError.syscall("open", errno: code, path: path)
        }
        var ok = false
        defer { if !ok { unlink(path) } }
        // The umask may have cleared bits, never added any; set exactly 0600 anyway.
        guard fchmod(descriptor, 0o600) == 0 else {
            let code = errno
            close(descriptor)
            throw SindriError.syscall("fchmod", errno: code, path: path)
        }
        var offset = 0
        while offset < contents.count {
            let written = contents.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                let code = errno
                close(descriptor)
                throw SindriError.syscall("write", errno: code, path: path)
            }
            offset += written
        }
        guard fsync(descriptor) == 0 else {
            let code = errno
            close(descriptor)
            throw SindriError.syscall("fsync", errno: code, path: path)
        }
        guard close(descriptor) == 0 else { throw SindriError.syscall("close", errno: errno, path: path) }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let directoryDescriptor = open(directory, O_RDONLY | O_DIRECTORY)
        if directoryDescriptor >= 0 {
            let synced = fsync(directoryDescriptor)
            let code = errno
            close(directoryDescriptor)
            guard synced == 0 else { throw SindriError.syscall("fsync", errno: code, path: directory) }
        }
        ok = true
    }
}
