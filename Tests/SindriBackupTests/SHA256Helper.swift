import Crypto

/// SHA256 for tests, via swift-crypto like the engine.
enum SHA256Helper {
    static func digest(_ bytes: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: bytes)) }
}
