// The `.backup-checksums.sha256` parser (coreutils' format, escaped names).
import FuzzSupport
import SindriArchive

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzChecksumList(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = Array(UnsafeRawBufferPointer(start: data, count: size))
    let list: ChecksumList
    do {
        list = try ChecksumList.decode(input)
    } catch let error as ChecksumList.FormatError {
        fuzzCheck(error.lineNumber >= 1, "error on line \(error.lineNumber)")
        return 0
    } catch {
        fuzzCheck(false, "unexpected error type \(error)")
        return 0
    }
    for line in list.lines {
        fuzzCheck(line.digest.count == 32 && !line.path.isEmpty, "a line without a digest or a name")
    }
    // What we accept, we can write, and read back as the same lines.
    let again = try? ChecksumList.decode(list.encoded())
    fuzzCheck(again == list, "an accepted list does not survive encode and decode")
    return 0
}

runFuzzer(fuzzChecksumList)
