import Crypto
#if canImport(Glibc)
import Glibc
#endif

/// SHA256 for tests, via swift-crypto like the engine.
package enum SHA256Helper {
    package static func digest(_ bytes: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: bytes)) }
}
