import Foundation
import Testing
@testable import SindriBackup

/// Transaction ids name the journal, the snapshot and the txn directory: they must sort by time.
@Suite("transaction identifiers")
struct TransactionIdentifierTests {
    @Test("every id is a UTC time and six zero-padded hex digits, so ids of one second sort as text")
    func zeroPadded() throws {
        let date = Date(timeIntervalSince1970: 1_764_745_200)
        let pattern = try Regex("^20251203T070000-[0-9a-f]{6}$")
        for _ in 0..<2000 {
            let id = RestoreManager.transactionIdentifier(date)
            #expect(id.wholeMatch(of: pattern) != nil, "\(id)")
        }
    }
}
