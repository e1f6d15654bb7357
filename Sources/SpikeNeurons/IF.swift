import SpikeTensor

/// Options of an integrate-and-fire neuron (SpikingJelly's `IFNode`: H = V + X).
public struct IFConfiguration: Sendable, Hashable {
    /// Firing threshold V_th.
    public var vThreshold: Float
    /// Hard-reset potential; nil selects a soft reset (V ← H − V_th).
    public var vReset: Float?
    /// Whether the reset's dependence on the spike is cut from the gradient.
    public var detachReset: Bool
    /// Surrogate gradient of the firing step.
    public var surrogate: Surrogate

    /// A configuration with SpikingJelly's defaults unless given.
    public init(vThreshold: Float = 1, vReset: Float? = 0, detachReset: Bool = false,
                surrogate: Surrogate = Surrogate(.sigmoid)) {
        self.vThreshold = vThreshold
        self.vReset = vReset
        self.detachReset = detachReset
        self.surrogate = surrogate
    }

    /// The initial membrane potential: V_reset, or 0 for a soft reset.
    public var restingPotential: Float { vReset ?? 0 }

    var fireReset: FireReset { FireReset(threshold: vThreshold, hardReset: vReset, detachReset: detachReset) }
}

/// IF over a time-major input `x` = [T, ...]: spikes (0/1) and the membrane V after reset at
/// every step, both shaped like `x`. `v0`, `alpha` and gradients as in `lifMultiStep`.
public func ifMultiStep(_ x: Tensor, _ config: IFConfiguration = IFConfiguration(), v0: Tensor? = nil,
                        alpha: Tensor? = nil, recorder: FiringRateRecorder? = nil) -> (spikes: Tensor, membrane: Tensor) {
    precondition(x.rank >= 1, "ifMultiStep: input needs a leading time axis, got shape \(x.shape)")
    let (spikes, membrane) = runChargeFireReset(
        "ifMultiStep", x: x, steps: x.shape[0], stateShape: Array(x.shape.dropFirst()), v0: v0, rule: IntegrateRule(),
        fire: config.fireReset, surrogate: config.surrogate, alpha: alpha, recorder: recorder)
    return (spikes, membrane!)
}

/// The spikes of `ifMultiStep` alone (bit for bit, same gradients); the membrane is never
/// written out, as a network layer needs.
public func ifSpikes(_ x: Tensor, _ config: IFConfiguration = IFConfiguration(), v0: Tensor? = nil,
                     alpha: Tensor? = nil, recorder: FiringRateRecorder? = nil) -> Tensor {
    precondition(x.rank >= 1, "ifSpikes: input needs a leading time axis, got shape \(x.shape)")
    return runChargeFireReset("ifSpikes", x: x, steps: x.shape[0], stateShape: Array(x.shape.dropFirst()),
                              v0: v0, rule: IntegrateRule(), fire: config.fireReset, surrogate: config.surrogate,
                              alpha: alpha, keepMembrane: false, recorder: recorder).spikes
}

/// One IF step on `x` (one time step, any shape): returns the spikes and advances `state`.
/// Equal bit for bit to the same step of `ifMultiStep`.
public func ifStep(_ x: Tensor, state: inout MembraneState, _ config: IFConfiguration = IFConfiguration(),
                   alpha: Tensor? = nil, recorder: FiringRateRecorder? = nil) -> Tensor {
    precondition(state.v.shape == x.shape, "ifStep: state of shape \(state.v.shape) does not match input \(x.shape)")
    let (spikes, membrane) = runChargeFireReset(
        "ifStep", x: x, steps: 1, stateShape: x.shape, v0: state.v, rule: IntegrateRule(),
        fire: config.fireReset, surrogate: config.surrogate, alpha: alpha, recorder: recorder)
    state.v = membrane!
    return spikes
}
