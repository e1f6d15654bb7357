import SpikeNeurons
import SpikeTensor

/// A layer of spiking neurons (or ReLU, for the ANN twin) on time-folded activations.
///
/// Input and output are [T·N, …] with time outermost (see `foldTime`); the layer views them
/// as [T, M] for the neuron kernel, which is free. ReLU and SpikePack run element-wise on the
/// input as it is (their `foldedSteps` is 1). Each forward starts from the resting state
/// (SpikingJelly's `reset_net` before every batch).
///
/// Learnable parameters are stored properties named as in PyTorch: PLIF `w` (shape []),
/// PSN family `weight`/`bias`, PSU family `weight`/`bias`/`alpha`, SpikePack `threshold`,
/// and `alpha` [1] for IF/LIF/PLIF when `learnableAlpha` is set.
public final class NeuronLayer: Module, UnaryLayer {
    /// The neuron and its options.
    public let spec: NeuronSpec
    /// PLIF's leak weight w (1/τ = sigmoid(w)), shape [].
    public let w: Tensor?
    /// PSN [T, T], masked PSN [T, T], sliding PSN [k], IPSU/RPSU [T, T].
    public let weight: Tensor?
    /// PSN family and IPSU/RPSU bias ([T], or [] for the sliding PSN).
    public let bias: Tensor?
    /// The surrogate's α [1]: always for the PSU family, for IF/LIF/PLIF when learnable.
    public let alpha: Tensor?
    /// SpikePack's θ [1]; for a calibrated IF/LIF/PLIF (`spec.calibrated`) the converted
    /// layer's V_th [1], set from the ANN's activations (not trained).
    public let threshold: Tensor?
    /// The masked PSN's λ (0 → 1 during training; the runner sets it).
    public var lambda: Float
    /// Spike counts of every forward while `recordsFiringRate` is on; nil when off.
    public private(set) var firingRate: FiringRateRecorder?
    /// LIF only: run `lifStep` T times and stack the spikes instead of the fused multi-step
    /// kernel — the same spikes and gradients, computed as a per-step framework computes them
    /// (the serial baseline of `spikelab bench efficiency`). Off by default; not saved.
    public var runsStepByStep = false

    /// A layer of `spec`'s neurons; parameters that need random values draw them from `rng`.
    public init(spec: NeuronSpec, rng: inout PhiloxGenerator) {
        if let problem = spec.problem { preconditionFailure("NeuronLayer: \(problem)") }
        self.spec = spec
        lambda = spec.lambda
        let t = spec.timeSteps
        var w: Tensor?, weight: Tensor?, bias: Tensor?, alpha: Tensor?, threshold: Tensor?
        switch spec.variant {
        case .if, .lif:
            if spec.calibrated { threshold = Tensor([spec.resolvedThreshold], shape: [1]) }
        case .plif:
            let initial = PLIFConfiguration(initTau: spec.tau).initialWeight()
            w = Tensor(initial.array, shape: [], requiresGrad: true)  // a 0-d Parameter, as SpikingJelly
            if spec.calibrated { threshold = Tensor([spec.resolvedThreshold], shape: [1]) }
        case .psn:
            (weight, bias) = makePSNParameters(timeSteps: t, rng: &rng)
        case .maskedPSN:
            (weight, bias) = makeMaskedPSNParameters(timeSteps: t, rng: &rng)
        case .slidingPSN:
            (weight, bias) = makeSlidingPSNParameters(order: spec.order, exponential: spec.slidingExponentialInit,
                                                      rng: &rng)
        case .psu:
            break
        case .ipsu, .rpsu:
            (weight, bias) = makePSUParameters(timeSteps: t, rng: &rng)
        case .spikePack:
            threshold = spec.spikePackConfiguration.makeThreshold(spec.resolvedThreshold)
        case .generalSNN, .relu:
            break
        }
        if [.psu, .ipsu, .rpsu].contains(spec.variant) || (spec.resolvedLearnableAlpha && [.if, .lif, .plif].contains(spec.variant)) {
            alpha = makePSUAlpha(spec.resolvedSurrogate.alpha, learnable: spec.resolvedLearnableAlpha)
        }
        self.w = w
        self.weight = weight
        self.bias = bias
        self.alpha = alpha
        self.threshold = threshold
    }

    /// Whether forwards count spikes into `firingRate`; turning it on starts a fresh count,
    /// turning it off drops the recorder (no counting cost at all).
    public var recordsFiringRate: Bool {
        get { firingRate != nil }
        set { firingRate = newValue ? FiringRateRecorder() : nil }
    }

    /// Steps of the folded input this layer expects (`spec.foldedSteps`).
    public var foldedSteps: Int { spec.foldedSteps }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        let y: Tensor
        switch spec.variant {
        case .relu:
            y = x.relu()
            firingRate?.record(spikes: y)  // the fraction of active units
        case .spikePack:
            y = spikePack(x, threshold: threshold!, configuration: spec.spikePackConfiguration, recorder: firingRate)
        default:
            let t = spec.timeSteps
            precondition(x.rank >= 1 && x.shape[0] % t == 0,
                         "NeuronLayer(\(spec.variant.rawValue)): input \(x.shape) is not time-folded over T = \(t) steps")
            let sequence = x.reshaped([t, x.count / t])
            if spec.calibrated {
                // Rate-coded conversion: membrane starts at θ/2 (so the spike count rounds
                // rather than floors), spikes carry θ so the next layer sees θ·rate ≈ ReLU.
                let theta = threshold!.item
                let v0 = Tensor.full([sequence.shape[1]], theta / 2)
                y = (multiStep(sequence, v0: v0).spikes * theta).reshaped(x.shape)
            } else {
                y = spikes(sequence).reshaped(x.shape)
            }
        }
        forwardObserver?(self, x, y)
        return y
    }

    /// One step of the general-SNN neuron on `input` (any shape) from the starting membrane
    /// `mem0` (zeros when nil): mem = decay·mem0 + input, spikes = [mem > threshold] with the
    /// spec's surrogate. The ReLU twin (variant relu) returns relu(mem) instead of spikes and
    /// keeps the same membrane, so the general-SNN token mixers have a smooth ANN form.
    /// Spikes (or active units) are counted into `firingRate` when it is on.
    public func generalSNNStep(_ input: Tensor, from mem0: Tensor?) -> (spikes: Tensor, membrane: Tensor) {
        let s = spec
        switch s.variant {
        case .generalSNN:
            let config = GeneralSNNNeuronConfiguration(decay: s.decay, threshold: s.resolvedThreshold,
                                                       surrogate: s.resolvedSurrogate, detachReset: s.detachReset)
            let one = [1] + input.shape
            let (spikes, membrane) = generalSNNNeuron(input.reshaped(one), mem0: mem0, config, recorder: firingRate)
            return (spikes.reshaped(input.shape), membrane.reshaped(input.shape))
        case .relu:
            let membrane = mem0.map { $0 * s.decay + input } ?? input
            let y = membrane.relu()
            firingRate?.record(spikes: y)
            return (y, membrane)
        default:
            preconditionFailure("NeuronLayer.generalSNNStep: only general_snn and its relu twin, got \(s.variant.rawValue)")
        }
    }

    /// The spikes of `multiStep(x)` alone, bit for bit and with the same gradients. IF, LIF,
    /// PLIF and the PSU family then never write their membrane (a third less forward traffic); the other
    /// variants compute it anyway and drop it.
    public func spikes(_ x: Tensor) -> Tensor {
        switch spec.variant {
        case .if: ifSpikes(x, ifConfiguration, alpha: alpha, recorder: firingRate)
        case .lif where runsStepByStep: lifStepByStep(x)
        case .lif: lifSpikes(x, lifConfiguration, alpha: alpha, recorder: firingRate)
        case .plif: plifSpikes(x, w: w!, plifConfiguration, alpha: alpha, recorder: firingRate)
        case .psu:
            psuSpikes(x, alpha: alpha!, threshold: spec.resolvedThreshold, tau: spec.tau,
                      surrogate: spec.resolvedSurrogate.kind, recorder: firingRate)
        case .ipsu:
            ipsuSpikes(x, weight: weight!, bias: bias!, alpha: alpha!, ipsuReset: spec.ipsuReset,
                       threshold: spec.resolvedThreshold, tau: spec.tau, surrogate: spec.resolvedSurrogate.kind,
                       recorder: firingRate)
        case .rpsu:
            rpsuSpikes(x, weight: weight!, bias: bias!, alpha: alpha!, threshold: spec.resolvedThreshold, tau: spec.tau,
                       surrogate: spec.resolvedSurrogate.kind, recorder: firingRate)
        default: multiStep(x).spikes
        }
    }

    /// LIF over [T, …] one step at a time from the resting potential, spikes stacked to [T, …].
    private func lifStepByStep(_ x: Tensor) -> Tensor {
        let stateShape = Array(x.shape.dropFirst())
        var state = MembraneState(shape: stateShape, restingPotential: spec.vReset ?? 0)
        let configuration = lifConfiguration
        let steps = (0..<x.shape[0]).map { t in
            lifStep(x.sliced(axis: 0, range: t..<(t + 1)).reshaped(stateShape), state: &state, configuration,
                    alpha: alpha, recorder: firingRate)
        }
        return stack(steps, axis: 0)
    }

    /// The firing threshold: a calibrated (converted) layer's θ, else the spec's.
    private var firingThreshold: Float { spec.calibrated ? threshold!.item : spec.resolvedThreshold }

    private var ifConfiguration: IFConfiguration {
        IFConfiguration(vThreshold: firingThreshold, vReset: spec.vReset, detachReset: spec.detachReset,
                        surrogate: spec.resolvedSurrogate)
    }

    private var lifConfiguration: LIFConfiguration {
        LIFConfiguration(tau: spec.tau, vThreshold: firingThreshold, vReset: spec.vReset,
                         decayInput: spec.decayInput, detachReset: spec.detachReset, surrogate: spec.resolvedSurrogate)
    }

    private var plifConfiguration: PLIFConfiguration {
        PLIFConfiguration(initTau: spec.tau, vThreshold: firingThreshold, vReset: spec.vReset,
                          decayInput: spec.decayInput, detachReset: spec.detachReset, surrogate: spec.resolvedSurrogate)
    }

    /// The neuron over a time-major input [T, …] (T = `spec.timeSteps`): its spikes and, for the
    /// variants that have one, the membrane potential at every step (IF/LIF/PLIF: V after reset;
    /// PSU family: the potential compared with the threshold; general SNN: mem), both shaped like
    /// `x`. The PSN family has no membrane (nil). Not for ReLU or SpikePack, which have no time axis.
    /// `v0` (IF/LIF/PLIF only) is the membrane before the first step (default: resting).
    /// A calibrated layer fires at its `threshold` tensor's θ (spikes stay 0/1 here).
    public func multiStep(_ x: Tensor, v0: Tensor? = nil) -> (spikes: Tensor, membrane: Tensor?) {
        let s = spec, recorder = firingRate
        precondition(v0 == nil || [.if, .lif, .plif].contains(s.variant),
                     "NeuronLayer.multiStep: an initial membrane applies to if, lif and plif, not \(s.variant.rawValue)")
        switch s.variant {
        case .if:
            return both(ifMultiStep(x, ifConfiguration, v0: v0, alpha: alpha, recorder: recorder))
        case .lif:
            return both(lifMultiStep(x, lifConfiguration, v0: v0, alpha: alpha, recorder: recorder))
        case .plif:
            return both(plifMultiStep(x, w: w!, plifConfiguration, v0: v0, alpha: alpha, recorder: recorder))
        case .psn:
            return (psn(x, weight: weight!, bias: bias!, surrogate: s.resolvedSurrogate, recorder: recorder), nil)
        case .maskedPSN:
            return (maskedPSN(x, weight: weight!, bias: bias!, order: s.order, lambda: lambda,
                              surrogate: s.resolvedSurrogate, recorder: recorder), nil)
        case .slidingPSN:
            return (slidingPSN(x, weight: weight!, bias: bias!, surrogate: s.resolvedSurrogate, recorder: recorder), nil)
        case .psu:
            return both(SpikeNeurons.psu(x, alpha: alpha!, threshold: s.resolvedThreshold, tau: s.tau,
                                    surrogate: s.resolvedSurrogate.kind, recorder: recorder))
        case .ipsu:
            return both(ipsu(x, weight: weight!, bias: bias!, alpha: alpha!, ipsuReset: s.ipsuReset,
                        threshold: s.resolvedThreshold, tau: s.tau, surrogate: s.resolvedSurrogate.kind,
                        recorder: recorder))
        case .rpsu:
            return both(rpsu(x, weight: weight!, bias: bias!, alpha: alpha!, threshold: s.resolvedThreshold, tau: s.tau,
                        surrogate: s.resolvedSurrogate.kind, recorder: recorder))
        case .generalSNN:
            let config = GeneralSNNNeuronConfiguration(decay: s.decay, threshold: s.resolvedThreshold,
                                                       surrogate: s.resolvedSurrogate, detachReset: s.detachReset)
            return both(generalSNNNeuron(x, config, recorder: recorder))
        case .spikePack, .relu:
            preconditionFailure("NeuronLayer.multiStep: \(s.variant.rawValue) has no time axis; call the layer itself")
        }
    }
}

/// A neuron function's (spikes, membrane) as `multiStep`'s result type.
private func both(_ result: (spikes: Tensor, membrane: Tensor)) -> (spikes: Tensor, membrane: Tensor?) {
    (result.spikes, result.membrane)
}
