// The whole of stage 1 (`sindri verify`): the parallel block-member framing and inflater, the
// strict tar parser, the manifest, the checksum list and every safety check, on archives mutated
// from a real one. The input is written to one file in a private temporary folder; verify
// itself writes nothing.
import Dispatch
import Foundation
import FuzzSupport
import SindriBackup
import SindriSystem

private let folder: String = {
    var template = Array((NSTemporaryDirectory() + "/sindri-fuzz-verify.XXXXXX").utf8CString)
    guard let made = mkdtemp(&template) else { fatalError("cannot create a temporary folder") }
    let path = String(cString: made)
    atexit { _ = try? FileManager.default.removeItem(atPath: folder) }
    return path
}()

/// The outcome of one verify, carried out of the task.
private final class Box: @unchecked Sendable {
    var failure: (any Error)?
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzVerify(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let archive = folder + "/input.tar.gz"
    let written = FileManager.default.createFile(atPath: archive, contents: Data(UnsafeRawBufferPointer(start: data, count: size)))
    fuzzCheck(written, "cannot write \(archive)")
    let box = Box()
    let done = DispatchSemaphore(value: 0)
    Task {
        do {
            _ = try await RestoreManager().verify(archive: archive)
        } catch {
            box.failure = error
        }
        done.signal()
    }
    done.wait()
    if let failure = box.failure {
        // Every refusal is one of ours, with a message for the user.
        fuzzCheck(failure is SindriError, "verify threw \(type(of: failure)): \(failure)")
    }
    return 0
}

runFuzzer(fuzzVerify)
