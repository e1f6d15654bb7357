import SpikeTensor

/// The membrane potential V a charge–fire–reset neuron (IF, LIF, PLIF) carries between
/// single steps of step-by-step inference.
public struct MembraneState {
    /// V after the last step's reset, shaped like one step of the input.
    public var v: Tensor

    /// A state holding `v`.
    public init(v: Tensor) {
        precondition(v.dtype == .float32, "MembraneState: v must be float32, got \(v.dtype)")
        self.v = v
    }

    /// A fresh state of `shape` at `restingPotential` (a neuron configuration's V_reset, or 0
    /// for a soft reset — see `restingPotential` on the configurations).
    public init(shape: [Int], restingPotential: Float) {
        v = Tensor.full(shape, restingPotential)
    }
}
