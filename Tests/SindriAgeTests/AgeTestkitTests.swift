import Crypto
import Foundation
import SindriAge
import Testing

/// Every vector of the community age test suite for the recipient types sindri implements
/// (X25519 and scrypt) gives the expected result.
@Suite struct AgeTestkitTests {
    /// Vectors of features sindri does not implement, skipped by name: ASCII armor (sindri reads
    /// and writes binary age files only) and the post-quantum hybrid recipient type.
    static let skippedPrefixes = ["armor_", "hybrid"]

    static func isSkipped(_ name: String) -> Bool {
        skippedPrefixes.contains { name.hasPrefix($0) }
    }

    static let vectors = AgeTestkitVector.all().filter { !isSkipped($0.name) }

    @Test func theFixturesAreAllThereAndEachSkipIsNamed() {
        let all = AgeTestkitVector.all()
        #expect(all.count == 143)
        let skipped = all.filter { Self.isSkipped($0.name) }.map(\.name)
        // The skip list, printed so a test run names every vector it did not run.
        print("age testkit: \(skipped.count) vectors skipped (armor, post-quantum hybrid): \(skipped.joined(separator: ", "))")
        #expect(skipped.allSatisfy { $0.hasPrefix("armor_") || $0.hasPrefix("hybrid") })
        #expect(skipped.count == 33 + 18)
        #expect(Self.vectors.count == 143 - skipped.count)
        #expect(Self.vectors.allSatisfy { !$0.armored })
    }

    @Test(arguments: vectors)
    func vector(_ vector: AgeTestkitVector) throws {
        var identities: [any AgeIdentity] = []
        for identity in vector.identities { identities.append(try AgeX25519Identity(parsing: identity)) }
        for passphrase in vector.passphrases { identities.append(AgeScryptIdentity(passphrase: Array(passphrase.utf8))) }
        var released: [UInt8] = []
        var outcome: AgeTestkitVector.Expectation = .success
        do {
            try AgeFile.decrypt(vector.file, identities: identities, into: &released)
        } catch {
            switch error.kind {
            case .header: outcome = .headerFailure
            case .noMatch: outcome = .noMatch
            case .headerMAC: outcome = .hmacFailure
            case .payload: outcome = .payloadFailure
            case .key: Issue.record("unexpected key error: \(error)")
            }
        }
        #expect(outcome == vector.expect)
        if vector.expect == .success || vector.expect == .payloadFailure {
            let hash = SHA256.hash(data: released).map { String(format: "%02x", $0) }.joined()
            #expect(hash == vector.payloadHash)
        } else {
            #expect(released.isEmpty)
        }
    }
}
