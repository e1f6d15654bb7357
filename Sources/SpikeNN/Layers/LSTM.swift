import SpikeTensor

/// A one-layer LSTM over a sequence-first input [T, N, I] (PyTorch's `nn.LSTM` with
/// `num_layers = 1`, `batch_first = False`), optionally bidirectional: the reverse direction
/// reads the sequence backwards and its outputs are put back in forward order, concatenated
/// after the forward direction's along the features ([T, N, 2H]), as PyTorch does.
///
/// State names are PyTorch's: `weight_ih_l0` [4H, I], `weight_hh_l0` [4H, H], `bias_ih_l0`,
/// `bias_hh_l0` [4H], and the same with `_reverse` for the second direction.
public final class LSTM: Module, UnaryLayer {
    /// Input-to-hidden weights of the forward direction.
    public let weightIhL0: Tensor
    /// Hidden-to-hidden weights of the forward direction.
    public let weightHhL0: Tensor
    /// Input bias of the forward direction.
    public let biasIhL0: Tensor
    /// Hidden bias of the forward direction.
    public let biasHhL0: Tensor
    /// Input-to-hidden weights of the reverse direction (bidirectional only).
    public let weightIhL0Reverse: Tensor?
    /// Hidden-to-hidden weights of the reverse direction.
    public let weightHhL0Reverse: Tensor?
    /// Input bias of the reverse direction.
    public let biasIhL0Reverse: Tensor?
    /// Hidden bias of the reverse direction.
    public let biasHhL0Reverse: Tensor?

    /// An LSTM from `inputSize` to `hiddenSize` features per direction, every parameter drawn
    /// from U(−1/√H, 1/√H) in PyTorch's registration order (PyTorch's default initialisation).
    public init(_ inputSize: Int, _ hiddenSize: Int, bidirectional: Bool = false, rng: inout PhiloxGenerator) {
        precondition(inputSize >= 1 && hiddenSize >= 1, "LSTM: sizes must be positive, got \(inputSize) → \(hiddenSize)")
        let bound = 1 / Float(hiddenSize).squareRoot()
        func draw(_ shape: [Int]) -> Tensor {
            Tensor.uniform(shape, low: -bound, high: bound, rng: &rng, requiresGrad: true)
        }
        let gates = 4 * hiddenSize
        weightIhL0 = draw([gates, inputSize])
        weightHhL0 = draw([gates, hiddenSize])
        biasIhL0 = draw([gates])
        biasHhL0 = draw([gates])
        weightIhL0Reverse = bidirectional ? draw([gates, inputSize]) : nil
        weightHhL0Reverse = bidirectional ? draw([gates, hiddenSize]) : nil
        biasIhL0Reverse = bidirectional ? draw([gates]) : nil
        biasHhL0Reverse = bidirectional ? draw([gates]) : nil
    }

    /// Whether a reverse direction runs too.
    public var isBidirectional: Bool { weightIhL0Reverse != nil }
    /// Hidden features per direction.
    public var hiddenSize: Int { weightHhL0.shape[1] }

    /// Every step's hidden state, [T, N, H] (or [T, N, 2H] bidirectional), from zero states.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 3, "LSTM: input must be [T, N, I], got \(x.shape)")
        let forward = lstm(x, h0: nil, c0: nil, weightIH: weightIhL0, weightHH: weightHhL0,
                           biasIH: biasIhL0, biasHH: biasHhL0).output
        guard isBidirectional else { return forward }
        let steps = x.shape[0]
        let reversedOrder = Tensor(int32: (0..<steps).reversed().map { Int32($0) })
        let backward = lstm(x.indexSelect(axis: 0, indices: reversedOrder), h0: nil, c0: nil,
                            weightIH: weightIhL0Reverse!, weightHH: weightHhL0Reverse!,
                            biasIH: biasIhL0Reverse, biasHH: biasHhL0Reverse).output
        return concat([forward, backward.indexSelect(axis: 0, indices: reversedOrder)], axis: 2)
    }
}
