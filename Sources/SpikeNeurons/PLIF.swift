import Foundation
import SpikeTensor

/// Options of a parametric LIF neuron (SpikingJelly's `ParametricLIFNode`): LIF whose leak
/// 1/τ = sigmoid(w) is learned; w is a one-element tensor passed to `plifMultiStep`.
public struct PLIFConfiguration: Sendable, Hashable {
    /// τ the weight starts from: w₀ = −ln(τ₀ − 1), so sigmoid(w₀) = 1/τ₀.
    public var initTau: Float
    /// Firing threshold V_th.
    public var vThreshold: Float
    /// Hard-reset potential; nil selects a soft reset (V ← H − V_th).
    public var vReset: Float?
    /// Whether the input is scaled by 1/τ too.
    public var decayInput: Bool
    /// Whether the reset's dependence on the spike is cut from the gradient.
    public var detachReset: Bool
    /// Surrogate gradient of the firing step.
    public var surrogate: Surrogate

    /// A configuration with SpikingJelly's defaults unless given.
    public init(initTau: Float = 2, vThreshold: Float = 1, vReset: Float? = 0, decayInput: Bool = true,
                detachReset: Bool = false, surrogate: Surrogate = Surrogate(.sigmoid)) {
        precondition(initTau > 1, "PLIF init_tau must be greater than 1, got \(initTau)")
        self.initTau = initTau
        self.vThreshold = vThreshold
        self.vReset = vReset
        self.decayInput = decayInput
        self.detachReset = detachReset
        self.surrogate = surrogate
    }

    /// The initial membrane potential: V_reset, or 0 for a soft reset.
    public var restingPotential: Float { vReset ?? 0 }

    /// A fresh learnable weight w = −ln(τ₀ − 1), shape [1], requiring a gradient.
    public func initialWeight() -> Tensor {
        Tensor([-Foundation.log(initTau - 1)], shape: [1], requiresGrad: true)
    }

    func rule(_ w: Tensor) -> LearnedLeakRule {
        LearnedLeakRule(q: plifLeak(w), rest: restingPotential, decayInput: decayInput)
    }
    var fireReset: FireReset { FireReset(threshold: vThreshold, hardReset: vReset, detachReset: detachReset) }
}

/// q = sigmoid(w) = 1/τ in Float, as PyTorch's float sigmoid computes it.
func plifLeak(_ w: Tensor) -> Float {
    precondition(w.dtype == .float32 && w.count == 1, "PLIF: w must be a one-element float32 tensor, got \(w.dtype) \(w.shape)")
    return 1 / (1 + Foundation.exp(-w.floats[0]))
}

/// PLIF over a time-major input `x` = [T, ...] with leak weight `w` (1/τ = sigmoid(w)):
/// spikes (0/1) and the membrane V after reset at every step, both shaped like `x`.
/// Gradients flow to x, v0, w and alpha (`v0`, `alpha` as in `lifMultiStep`).
public func plifMultiStep(_ x: Tensor, w: Tensor, _ config: PLIFConfiguration = PLIFConfiguration(), v0: Tensor? = nil,
                          alpha: Tensor? = nil, recorder: FiringRateRecorder? = nil) -> (spikes: Tensor, membrane: Tensor) {
    precondition(x.rank >= 1, "plifMultiStep: input needs a leading time axis, got shape \(x.shape)")
    let rule = config.rule(w)
    let (spikes, membrane) = runChargeFireReset(
        "plifMultiStep", x: x, steps: x.shape[0], stateShape: Array(x.shape.dropFirst()), v0: v0, rule: rule,
        fire: config.fireReset, surrogate: config.surrogate, alpha: alpha, leakWeight: w, leak: rule.q,
        recorder: recorder)
    return (spikes, membrane!)
}

/// The spikes of `plifMultiStep` alone (bit for bit, same gradients); the membrane is never
/// written out, as a network layer needs.
public func plifSpikes(_ x: Tensor, w: Tensor, _ config: PLIFConfiguration = PLIFConfiguration(), v0: Tensor? = nil,
                       alpha: Tensor? = nil, recorder: FiringRateRecorder? = nil) -> Tensor {
    precondition(x.rank >= 1, "plifSpikes: input needs a leading time axis, got shape \(x.shape)")
    let rule = config.rule(w)
    return runChargeFireReset("plifSpikes", x: x, steps: x.shape[0], stateShape: Array(x.shape.dropFirst()),
                              v0: v0, rule: rule, fire: config.fireReset, surrogate: config.surrogate, alpha: alpha,
                              leakWeight: w, leak: rule.q, keepMembrane: false, recorder: recorder).spikes
}

/// One PLIF step on `x` (one time step, any shape): returns the spikes and advances `state`.
/// Equal bit for bit to the same step of `plifMultiStep`.
public func plifStep(_ x: Tensor, w: Tensor, state: inout MembraneState, _ config: PLIFConfiguration = PLIFConfiguration(),
                     alpha: Tensor? = nil, recorder: FiringRateRecorder? = nil) -> Tensor {
    precondition(state.v.shape == x.shape, "plifStep: state of shape \(state.v.shape) does not match input \(x.shape)")
    let rule = config.rule(w)
    let (spikes, membrane) = runChargeFireReset(
        "plifStep", x: x, steps: 1, stateShape: x.shape, v0: state.v, rule: rule,
        fire: config.fireReset, surrogate: config.surrogate, alpha: alpha, leakWeight: w, leak: rule.q,
        recorder: recorder)
    state.v = membrane!
    return spikes
}
