import SpikeTensor

/// A seeded generator a layer owns (dropout masks), held by reference so that module
/// reflection can find it by name and a checkpoint can save and restore its state.
public final class RandomStream {
    /// The generator; layers draw from it with `&stream.generator`.
    public var generator: PhiloxGenerator

    /// A stream starting at `generator`'s state.
    public init(_ generator: PhiloxGenerator) {
        self.generator = generator
    }

    /// A stream seeded by one draw from `rng`, so layers built from one generator get distinct,
    /// reproducible streams.
    public convenience init(splittingFrom rng: inout PhiloxGenerator) {
        self.init(PhiloxGenerator(seed: rng.next()))
    }

    /// The generator's state words (for checkpoints).
    public var state: [UInt64] { generator.state }

    /// Restores a state saved from `state`; false (and nothing changed) when it is malformed.
    @discardableResult
    public func restore(_ state: [UInt64]) -> Bool {
        guard let restored = PhiloxGenerator(state: state) else { return false }
        generator = restored
        return true
    }
}
