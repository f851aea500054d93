// The tar/pax header reader, fed the bytes whole and in arbitrary chunks: both must report the
// same members, the same content and the same error at the same offset.
import FuzzSupport
import SindriArchive

private enum Event: Equatable {
    case entry(TarMember)
    case content([UInt8])
    case endOfEntry
    case endOfArchive
}

private struct Outcome: Equatable {
    var events: [Event] = []
    var failure: TarFormatError?
}

private func read(_ input: UnsafeRawBufferPointer, chunkSizes: [Int]) -> Outcome {
    var outcome = Outcome()
    var reader = TarReader(limits: .init(maximumPaxHeaderSize: 64 << 10, maximumLongNameSize: 4 << 10))
    var remainingContent: UInt64 = 0
    do {
        try FuzzInput.forEachChunk(of: input, sizes: chunkSizes) { chunk in
            try reader.consume(chunk) { event in
                switch event {
                case .entry(let member):
                    fuzzCheck(remainingContent == 0, "a member began inside the previous one's content")
                    remainingContent = member.entry.size
                    outcome.events.append(.entry(member))
                case .content(let bytes):
                    fuzzCheck(!bytes.isEmpty && UInt64(bytes.count) <= remainingContent, "content beyond the declared size")
                    remainingContent -= UInt64(bytes.count)
                    // Consecutive slices are one run of content: chunking must not show.
                    if case .content(let previous)? = outcome.events.last {
                        outcome.events[outcome.events.count - 1] = .content(previous + Array(bytes))
                    } else {
                        outcome.events.append(.content(Array(bytes)))
                    }
                case .endOfEntry:
                    fuzzCheck(remainingContent == 0, "a member ended before its declared size")
                    outcome.events.append(.endOfEntry)
                case .endOfArchive:
                    outcome.events.append(.endOfArchive)
                }
            }
        }
        try reader.finish()
        fuzzCheck(reader.isAtEndOfArchive, "finish succeeded before the end-of-archive marker")
        fuzzCheck(reader.offset == UInt64(input.count), "offset \(reader.offset) after \(input.count) bytes")
    } catch let error as TarFormatError {
        outcome.failure = error
        // A failed reader keeps failing with the same error.
        do {
            try reader.finish()
            fuzzCheck(false, "finish succeeded after an error")
        } catch let again as TarFormatError {
            fuzzCheck(again == error, "a failed reader changed its error")
        } catch {
            fuzzCheck(false, "unexpected error type \(error)")
        }
    } catch {
        fuzzCheck(false, "unexpected error type \(error)")
    }
    return outcome
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTar(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let whole = read(input, chunkSizes: size == 0 ? [] : [size])
    let chunked = read(input, chunkSizes: FuzzInput.chunkSizes(for: input, largest: 1536))
    // Events before an error may stop at different points (content is delivered as it
    // arrives), so compare the events only when both runs got to the end.
    fuzzCheck(whole.failure == chunked.failure, "chunked reading fails differently: whole \(String(describing: whole.failure)), chunked \(String(describing: chunked.failure))")
    if whole.failure == nil { fuzzCheck(whole.events == chunked.events, "chunked reading reports other members") }
    return 0
}

runFuzzer(fuzzTar)
