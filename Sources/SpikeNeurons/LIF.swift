import Foundation
import SpikeTensor

/// Options of a leaky integrate-and-fire neuron; names and defaults follow SpikingJelly's
/// `LIFNode` (tau, v_threshold, v_reset, decay_input, detach_reset, surrogate).
public struct LIFConfiguration: Sendable, Hashable {
    /// Membrane time constant τ (> 1, as SpikingJelly asserts).
    public var tau: Float
    /// Firing threshold V_th.
    public var vThreshold: Float
    /// Hard-reset potential; nil selects a soft reset (V ← H − V_th).
    public var vReset: Float?
    /// Whether the input is divided by τ too (H = V + (X − (V − V_reset))/τ).
    public var decayInput: Bool
    /// Whether the reset's dependence on the spike is cut from the gradient.
    public var detachReset: Bool
    /// Surrogate gradient of the firing step.
    public var surrogate: Surrogate

    /// A configuration with SpikingJelly's defaults unless given.
    public init(tau: Float = 2, vThreshold: Float = 1, vReset: Float? = 0, decayInput: Bool = true,
                detachReset: Bool = false, surrogate: Surrogate = Surrogate(.sigmoid)) {
        precondition(tau > 1, "LIF tau must be greater than 1, got \(tau)")
        self.tau = tau
        self.vThreshold = vThreshold
        self.vReset = vReset
        self.decayInput = decayInput
        self.detachReset = detachReset
        self.surrogate = surrogate
    }

    /// The initial membrane potential: V_reset, or 0 for a soft reset.
    public var restingPotential: Float { vReset ?? 0 }

    var rule: FixedLeakRule {
        precondition(tau > 1, "LIF tau must be greater than 1, got \(tau)")
        return FixedLeakRule(tau: tau, rest: restingPotential, decayInput: decayInput)
    }
    var fireReset: FireReset { FireReset(threshold: vThreshold, hardReset: vReset, detachReset: detachReset) }
}

/// LIF over a time-major input `x` = [T, ...]: spikes (0/1) and the membrane V after reset at
/// every step (SpikingJelly's `v_seq`), both shaped like `x`.
///
/// `v0` (shape `x.shape.dropFirst()`) is the membrane before the first step (default: the
/// resting potential). `alpha`, a one-element tensor, replaces the surrogate's α and learns it
/// when it requires a gradient. Gradients flow to x, v0 and alpha.
public func lifMultiStep(_ x: Tensor, _ config: LIFConfiguration = LIFConfiguration(), v0: Tensor? = nil,
                         alpha: Tensor? = nil, recorder: FiringRateRecorder? = nil) -> (spikes: Tensor, membrane: Tensor) {
    precondition(x.rank >= 1, "lifMultiStep: input needs a leading time axis, got shape \(x.shape)")
    let (spikes, membrane) = runChargeFireReset(
        "lifMultiStep", x: x, steps: x.shape[0], stateShape: Array(x.shape.dropFirst()), v0: v0, rule: config.rule,
        fire: config.fireReset, surrogate: config.surrogate, alpha: alpha, recorder: recorder)
    return (spikes, membrane!)
}

/// The spikes of `lifMultiStep` alone, equal to its `spikes` bit for bit with the same
/// gradients; the membrane is never written out (what a network layer needs: 8 bytes per
/// neuron-step moved by the forward instead of 12).
public func lifSpikes(_ x: Tensor, _ config: LIFConfiguration = LIFConfiguration(), v0: Tensor? = nil,
                      alpha: Tensor? = nil, recorder: FiringRateRecorder? = nil) -> Tensor {
    precondition(x.rank >= 1, "lifSpikes: input needs a leading time axis, got shape \(x.shape)")
    return runChargeFireReset("lifSpikes", x: x, steps: x.shape[0], stateShape: Array(x.shape.dropFirst()),
                              v0: v0, rule: config.rule, fire: config.fireReset, surrogate: config.surrogate,
                              alpha: alpha, keepMembrane: false, recorder: recorder).spikes
}

/// One LIF step on `x` (one time step, any shape): returns the spikes and advances `state`.
/// Equal bit for bit to the same step of `lifMultiStep`, and differentiable the same way.
public func lifStep(_ x: Tensor, state: inout MembraneState, _ config: LIFConfiguration = LIFConfiguration(),
                    alpha: Tensor? = nil, recorder: FiringRateRecorder? = nil) -> Tensor {
    precondition(state.v.shape == x.shape, "lifStep: state of shape \(state.v.shape) does not match input \(x.shape)")
    let (spikes, membrane) = runChargeFireReset(
        "lifStep", x: x, steps: 1, stateShape: x.shape, v0: state.v, rule: config.rule,
        fire: config.fireReset, surrogate: config.surrogate, alpha: alpha, recorder: recorder)
    state.v = membrane!
    return spikes
}
