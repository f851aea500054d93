/// A swift-crypto key held immutably so that it can cross tasks.
///
/// Why `@unchecked Sendable` is safe: swift-crypto 3's `SymmetricKey` and Curve25519 keys are
/// value types whose storage is never mutated after initialization (swift-crypto 4 declares
/// them `Sendable` for that reason); this wrapper only ever reads `value` through `let`.
struct ImmutableCryptoValue<Value>: @unchecked Sendable {
    let value: Value

    init(_ value: Value) {
        self.value = value
    }
}
