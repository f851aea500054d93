// The manifest JSON decoder (the archive's first member) and the version check restore makes.
import FuzzSupport
import SindriArchive

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzManifest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    guard let manifest = try? BackupManifest.decode(input) else { return 0 }
    if let version = ManifestVersion(manifest.version) {
        fuzzCheck(ManifestVersion(version.description) == version, "version \(version) does not read back")
    }
    _ = manifest.checksum.isRealSHA256
    // What we accept, we can write, and read back as the same values.
    guard let encoded = try? manifest.encoded() else {
        // JSONEncoder refuses non-finite numbers; the decoder never produces them.
        fuzzCheck(false, "an accepted manifest does not encode")
        return 0
    }
    let again = try? BackupManifest.decode(encoded)
    fuzzCheck(again == manifest, "an accepted manifest does not survive encode and decode")
    return 0
}

runFuzzer(fuzzManifest)
