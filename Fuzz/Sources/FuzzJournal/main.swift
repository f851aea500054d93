// The write-ahead journal's record codec: the whole-journal decoder crash recovery runs, and
// `decodeEnds`, which looks only at the first and last lines.
import FuzzSupport
import SindriJournal

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJournal(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = Array(UnsafeRawBufferPointer(start: data, count: size))
    let ends = JournalCodec.decodeEnds(input)
    let decoded: DecodedJournal
    do {
        decoded = try JournalCodec.decodeJournal(input)
    } catch {
        return 0
    }
    fuzzCheck(decoded.validByteCount <= input.count, "valid bytes beyond the end")
    if let torn = decoded.tornTail {
        fuzzCheck(torn.byteOffset == decoded.validByteCount && torn.byteOffset + torn.byteCount == input.count,
                  "the torn tail is not the rest of the journal")
    } else {
        fuzzCheck(decoded.validByteCount == input.count, "no torn tail, yet bytes were left out")
    }
    // The sound prefix decodes to the same records with nothing torn.
    let prefix = try? JournalCodec.decodeJournal(Array(input[..<decoded.validByteCount]))
    fuzzCheck(prefix?.records == decoded.records && prefix?.tornTail == nil, "the sound prefix decodes differently")
    // The ends agree with the whole decode when the journal is sound to its last byte.
    if decoded.tornTail == nil {
        fuzzCheck(ends.first == decoded.records.first && ends.last == decoded.records.last,
                  "decodeEnds disagrees with the whole decode")
    }
    // What we accept, we write back byte-exactly as the same records.
    let reencoded = JournalCodec.encode(decoded.records)
    let again = try? JournalCodec.decodeJournal(reencoded)
    fuzzCheck(again?.records == decoded.records && again?.tornTail == nil, "records do not survive encode and decode")
    return 0
}

runFuzzer(fuzzJournal)
