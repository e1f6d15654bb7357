import SpikeNeurons
import SpikeTensor

/// Which neuron a `NeuronLayer` runs and with what options: the manifest's `neuron:` section
/// as a plain value (SpikeLab maps the manifest onto it). Property names are the manifest's
/// keys in Swift case (`v_threshold` → `vThreshold`); defaults are SpikingJelly's or the
/// paper's, so the same options mean the same neuron here and there.
public struct NeuronSpec: Sendable, Hashable {
    /// The neuron model; raw values are the manifest's `variant` names.
    public enum Variant: String, Sendable, CaseIterable, Codable {
        /// Integrate-and-fire.
        case `if`
        /// Leaky integrate-and-fire.
        case lif
        /// Parametric LIF (learned leak `w`).
        case plif
        /// Parallel spiking neuron (dense T×T `weight`, `bias`).
        case psn
        /// Masked PSN of order k, mask ramped by λ.
        case maskedPSN = "masked_psn"
        /// Sliding PSN of order k (`weight` [k], scalar `bias`).
        case slidingPSN = "sliding_psn"
        /// Parallel spiking unit (learnable surrogate `alpha`).
        case psu
        /// Input-aware PSU (`weight`, `bias`, `alpha`).
        case ipsu
        /// Reset-aware PSU (`weight`, `bias`, `alpha`).
        case rpsu
        /// SpikePack: T steps packed into one value (learnable `threshold`).
        case spikePack = "spikepack"
        /// The general-SNN single-step neuron (leak 0.4, threshold 0.5, rectangular surrogate).
        case generalSNN = "general_snn"
        /// No spikes: ReLU, for the ANN twin of an architecture.
        case relu

        /// Whether the neuron sees the time axis (T steps folded into the batch). ReLU (the
        /// ANN) and SpikePack (T packed into one value) run a single step.
        public var runsOverTime: Bool { self != .relu && self != .spikePack }

        /// The surrogate kind used when the spec names none: sigmoid for IF/LIF/PLIF (SpikingJelly),
        /// atan for the PSN and PSU families, rectangle for the general-SNN neuron.
        public var defaultSurrogate: Surrogate.Kind {
            switch self {
            case .if, .lif, .plif, .spikePack, .relu: .sigmoid
            case .psn, .maskedPSN, .slidingPSN, .psu, .ipsu, .rpsu: .atan
            case .generalSNN: .rectangle
            }
        }
    }

    /// The neuron model (`variant`).
    public var variant: Variant
    /// Time steps T (`time_steps`); for SpikePack the number of packed bits unless `bits` is set.
    public var timeSteps: Int
    /// Firing threshold V_th (`v_threshold`); nil means the variant's default: 0.5 for the
    /// general-SNN neuron, otherwise 1. For SpikePack it is θ's initial value.
    public var vThreshold: Float?
    /// Membrane time constant τ (`tau`): LIF's τ, PLIF's initial τ, the PSU family's leak 1/τ.
    public var tau: Float
    /// Hard-reset potential (`v_reset`); nil selects a soft reset (V ← H − V_th).
    public var vReset: Float?
    /// Whether LIF/PLIF divide the input by τ too (`decay_input`).
    public var decayInput: Bool
    /// Whether the reset's dependence on the spike is cut from the gradient (`detach_reset`).
    public var detachReset: Bool
    /// Surrogate gradient kind (`surrogate.kind`); nil means the variant's default.
    public var surrogate: Surrogate.Kind?
    /// Surrogate α (`surrogate.alpha`); nil means the kind's default (sigmoid 4, atan 2, …).
    public var surrogateAlpha: Float?
    /// Whether α is a learnable per-layer parameter (`surrogate.learnable_alpha`); nil means
    /// true for the PSU family (the authors' code) and false otherwise.
    public var learnableAlpha: Bool?
    /// Order k of the masked and sliding PSN (`order`).
    public var order: Int
    /// Initial λ of the masked PSN's mask ramp (`lambda`); the runner raises it to 1.
    public var lambda: Float
    /// Whether the sliding PSN starts from (…, 1/4, 1/2, 1) rather than Kaiming-uniform (`exp_init`).
    public var slidingExponentialInit: Bool
    /// IPSU's reset term (`ipsu_reset`).
    public var ipsuReset: IPSUReset
    /// General-SNN leak applied to the carried membrane (`decay`).
    public var decay: Float
    /// SpikePack bits (`bits`); nil means `timeSteps`.
    public var bits: Int?
    /// SpikePack digit base τ (`base`).
    public var base: Float
    /// SpikePack rounding of v/θ (`rounding`).
    public var rounding: SpikePackRounding
    /// Where SpikePack's θ comes from (`threshold_mode`); only `.learnable` trains it.
    public var thresholdMode: SpikePackThresholdMode
    /// SpikePack's straight-through estimator outside the clamp range (`gradient`).
    public var spikePackGradient: SpikePackGradient
    /// IF/LIF/PLIF converted from a ReLU ANN (docs/conversion.md): the layer holds its own
    /// threshold θ (`threshold` [1], set by calibration), starts each forward with the membrane
    /// at θ/2 and emits spikes of amplitude θ, so its rate times θ approximates the ReLU it
    /// replaced. SpikePack's counterpart is `thresholdMode = .calibrated`.
    public var calibrated: Bool = false

    /// A spec of `variant` with every option at its default unless given.
    public init(_ variant: Variant, timeSteps: Int = 4, vThreshold: Float? = nil, tau: Float = 2,
                vReset: Float? = 0, decayInput: Bool = true, detachReset: Bool = false,
                surrogate: Surrogate.Kind? = nil, surrogateAlpha: Float? = nil, learnableAlpha: Bool? = nil,
                order: Int = 2, lambda: Float = 0, slidingExponentialInit: Bool = true,
                ipsuReset: IPSUReset = .linear, decay: Float = 0.4, bits: Int? = nil, base: Float = 2,
                rounding: SpikePackRounding = .floor, thresholdMode: SpikePackThresholdMode = .learnable,
                spikePackGradient: SpikePackGradient = .clipped) {
        self.variant = variant
        self.timeSteps = timeSteps
        self.vThreshold = vThreshold
        self.tau = tau
        self.vReset = vReset
        self.decayInput = decayInput
        self.detachReset = detachReset
        self.surrogate = surrogate
        self.surrogateAlpha = surrogateAlpha
        self.learnableAlpha = learnableAlpha
        self.order = order
        self.lambda = lambda
        self.slidingExponentialInit = slidingExponentialInit
        self.ipsuReset = ipsuReset
        self.decay = decay
        self.bits = bits
        self.base = base
        self.rounding = rounding
        self.thresholdMode = thresholdMode
        self.spikePackGradient = spikePackGradient
    }

    // MARK: - Resolved options

    /// Steps the network body runs, folded into the batch: T for neurons that see time, 1 for
    /// ReLU and SpikePack.
    public var foldedSteps: Int { variant.runsOverTime ? timeSteps : 1 }

    /// V_th with the variant's default applied.
    public var resolvedThreshold: Float { vThreshold ?? (variant == .generalSNN ? 0.5 : 1) }

    /// The surrogate with the variant's and the kind's defaults applied.
    public var resolvedSurrogate: Surrogate {
        Surrogate(surrogate ?? variant.defaultSurrogate, alpha: surrogateAlpha)
    }

    /// Whether α is learned, with the variant's default applied.
    public var resolvedLearnableAlpha: Bool {
        learnableAlpha ?? [.psu, .ipsu, .rpsu].contains(variant)
    }

    /// SpikePack's settings.
    public var spikePackConfiguration: SpikePackConfiguration {
        SpikePackConfiguration(bits: bits ?? timeSteps, base: base, threshold: thresholdMode, rounding: rounding,
                               gradient: spikePackGradient)
    }

    /// Why this spec cannot build a layer, or nil when it can.
    public var problem: String? {
        if timeSteps < 1 { return "time_steps must be at least 1, got \(timeSteps)" }
        if let a = surrogateAlpha, !(a > 0) { return "surrogate alpha must be positive, got \(a)" }
        switch variant {
        case .lif, .plif:
            if !(tau > 1) { return "\(variant.rawValue) needs tau > 1, got \(tau)" }
        case .psu, .ipsu, .rpsu:
            if !(tau > 0) { return "\(variant.rawValue) needs tau > 0, got \(tau)" }
        case .maskedPSN, .slidingPSN:
            if order < 1 { return "\(variant.rawValue) needs order k ≥ 1, got \(order)" }
        case .spikePack:
            let b = bits ?? timeSteps
            if !(1...24).contains(b) { return "spikepack bits must be in 1...24, got \(b)" }
            if !(base >= 1) { return "spikepack base must be at least 1, got \(base)" }
            if !(resolvedThreshold > 0) { return "spikepack threshold must be positive, got \(resolvedThreshold)" }
        case .if, .psn, .generalSNN, .relu:
            break
        }
        if calibrated, ![.if, .lif, .plif].contains(variant) {
            return "only if, lif and plif take a calibrated threshold (spikepack: thresholdMode calibrated), not \(variant.rawValue)"
        }
        if learnableAlpha == true, [.psn, .maskedPSN, .slidingPSN, .generalSNN, .spikePack, .relu].contains(variant) {
            return "\(variant.rawValue) has no learnable surrogate alpha (learnable_alpha: true)"
        }
        return nil
    }
}
