import ArgumentParser
import Foundation
import SindriArchive

extension BackupProfile: ExpressibleByArgument {}

/// A size with an optional binary suffix: `500`, `64k`, `1.5M`, `2G`, `1T` (also `KiB`, `MB`...;
/// every multiple is a power of 1024).
struct SizeArgument: ExpressibleByArgument, Sendable, Equatable {
    let bytes: UInt64

    init(bytes: UInt64) { self.bytes = bytes }

    init?(argument: String) {
        guard let bytes = Self.parse(argument) else { return nil }
        self.bytes = bytes
    }

    /// Parses a size; nil when it is not one.
    static func parse(_ text: String) -> UInt64? {
        var text = text.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { return nil }
        let lower = text.lowercased()
        for suffix in ["ib", "b"] where lower.hasSuffix(suffix) && lower.count > suffix.count {
            let candidate = String(text.dropLast(suffix.count))
            if suffix == "b", candidate.last?.isNumber == true { text = candidate; break }
            if candidate.last.map({ "kmgtp".contains($0.lowercased()) }) == true { text = candidate; break }
        }
        let multipliers: [Character: UInt64] = ["k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50]
        var multiplier: UInt64 = 1
        if let last = text.last?.lowercased().first, let value = multipliers[last] {
            multiplier = value
            text.removeLast()
        }
        guard !text.isEmpty, text.allSatisfy({ $0.isNumber || $0 == "." }), let number = Double(text), number >= 0 else { return nil }
        let bytes = (number * Double(multiplier)).rounded()
        guard bytes < Double(UInt64.max) else { return nil }
        return UInt64(bytes)
    }

    static var defaultCompletionKind: CompletionKind { .default }
}
