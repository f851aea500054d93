import Foundation

/// The text files age keeps keys in: identity files as `age-keygen` writes them and recipients
/// files as `age -R` reads them (one key per line, `#` comments and empty lines ignored).
public enum AgeKeyFile {
    /// The X25519 identities in an identity file.
    ///
    /// - Throws: ``AgeError`` of kind `.key` naming the line (never its content: it may be a
    ///   secret) when a line is not an identity sindri can use.
    public static func parseIdentities(_ text: String) throws(AgeError) -> [AgeX25519Identity] {
        var identities: [AgeX25519Identity] = []
        for (number, line) in meaningfulLines(text) {
            guard line.hasPrefix("AGE-SECRET-KEY-1") else {
                if line.hasPrefix("AGE-PLUGIN-") {
                    throw .key("line \(number) is an age plugin identity, which sindri does not support")
                }
                throw .key("line \(number) is not an age identity (AGE-SECRET-KEY-1...)")
            }
            do {
                identities.append(try AgeX25519Identity(parsing: line))
            } catch {
                throw .key("line \(number) is not a valid age identity (bad checksum or length)")
            }
        }
        guard !identities.isEmpty else { throw .key("it holds no age identity") }
        return identities
    }

    /// The X25519 recipients in a recipients file.
    ///
    /// - Throws: ``AgeError`` of kind `.key` naming the line that is not a recipient.
    public static func parseRecipients(_ text: String) throws(AgeError) -> [AgeX25519Recipient] {
        var recipients: [AgeX25519Recipient] = []
        for (number, line) in meaningfulLines(text) {
            do {
                recipients.append(try AgeX25519Recipient(parsing: line))
            } catch {
                if line.hasPrefix("ssh-") {
                    throw .key("line \(number) is an SSH key, which sindri does not support as a recipient")
                }
                throw .key("line \(number) is not an age recipient (age1...)")
            }
        }
        guard !recipients.isEmpty else { throw .key("it holds no age recipient") }
        return recipients
    }

    /// An identity file in `age-keygen`'s layout: creation time, public key, secret key.
    public static func identityFileText(_ identity: AgeX25519Identity, created: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return """
            # created: \(formatter.string(from: created))
            # public key: \(identity.recipient.encoded)
            \(identity.encoded)

            """
    }

    private static func meaningfulLines(_ text: String) -> [(Int, String)] {
        text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().compactMap { index, raw in
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { return nil }
            return (index + 1, line)
        }
    }
}
