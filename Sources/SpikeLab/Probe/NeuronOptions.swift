import SpikeNN
import SpikeNeurons

/// The neuron options of `spikelab neuron`, named after the manifest's `neuron:` keys, each nil
/// when not given. `spec()` checks them as the manifest does — a key that does not apply to the
/// variant is an error, values out of range are errors — and builds the `NeuronSpec` the
/// manifest would build, so an option means the same neuron here and in an experiment.
public struct NeuronOptions: Sendable, Equatable {
    /// A hard-reset potential or the soft reset (`v_reset: null`).
    public enum Reset: Sendable, Equatable {
        case hard(Float)
        case soft
    }

    /// `variant`.
    public var variant: NeuronSpec.Variant
    /// `time_steps`: for the variants that see time it must equal the input's leading axis;
    /// for SpikePack it is the number of packed bits (default 4).
    public var timeSteps: Int?
    /// `v_threshold`.
    public var vThreshold: Float?
    /// `tau`.
    public var tau: Float?
    /// `v_reset` (number, or null for the soft reset).
    public var reset: Reset?
    /// `decay_input`.
    public var decayInput: Bool?
    /// `detach_reset`.
    public var detachReset: Bool?
    /// `surrogate.kind`.
    public var surrogate: Surrogate.Kind?
    /// `surrogate.alpha`.
    public var alpha: Float?
    /// `surrogate.learnable_alpha`.
    public var learnableAlpha: Bool?
    /// `order` (required for the masked and sliding PSN).
    public var order: Int?
    /// The masked PSN's mask weight λ in [0, 1] (the manifest ramps it over `lambda_ramp_epochs`;
    /// 0 is the dense start, 1 the order-k band).
    public var lambda: Float?
    /// `ipsu_reset`.
    public var ipsuReset: IPSUReset?
    /// `spikepack.base`.
    public var base: Float?
    /// SpikePack bits (NeuronSpec `bits`; default `time_steps`).
    public var bits: Int?
    /// `spikepack.rounding`.
    public var rounding: SpikePackRounding?
    /// `spikepack.threshold` (fixed or learnable; calibrated needs activations of a network).
    public var thresholdMode: SpikePackThresholdMode?
    /// `general_snn.leak`.
    public var leak: Float?

    /// Options of `variant`, all others unset.
    public init(variant: NeuronSpec.Variant) {
        self.variant = variant
    }

    /// Options of the variant named `name` (a manifest `variant` value), all others unset.
    public init(variantName name: String) throws(NeuronProbeError) {
        guard let variant = NeuronSpec.Variant(rawValue: name), variant != .relu else {
            throw .invalidOptions("--variant '\(name)' is not a spiking neuron; allowed: "
                                  + NeuronSpec.Variant.allCases.filter { $0 != .relu }.map(\.rawValue).joined(separator: ", "))
        }
        self.init(variant: variant)
    }

    /// The variant names `init(variantName:)` takes.
    public static var variantNames: [String] {
        NeuronSpec.Variant.allCases.filter { $0 != .relu }.map(\.rawValue)
    }

    /// The choice options by command-line name, with their allowed values.
    public static let choiceOptions: [String: [String]] = [
        "--surrogate": Surrogate.Kind.allCases.map(\.rawValue),
        "--ipsu-reset": IPSUReset.allCases.map(\.rawValue),
        "--rounding": SpikePackRounding.allCases.map(\.rawValue),
        "--threshold-mode": [SpikePackThresholdMode.fixed, .learnable].map(\.rawValue),
    ]

    /// Sets the choice option `option` (one of `choiceOptions`) from its text, or says what is allowed.
    public mutating func setChoice(_ option: String, _ text: String) throws(NeuronProbeError) {
        let allowed = Self.choiceOptions[option] ?? []
        guard allowed.contains(text) else {
            throw .invalidOptions("\(option) '\(text)' is not allowed; allowed: \(allowed.joined(separator: ", "))")
        }
        switch option {
        case "--surrogate": surrogate = Surrogate.Kind(rawValue: text)
        case "--ipsu-reset": ipsuReset = IPSUReset(rawValue: text)
        case "--rounding": rounding = SpikePackRounding(rawValue: text)
        case "--threshold-mode": thresholdMode = SpikePackThresholdMode(rawValue: text)
        default: throw .invalidOptions("\(option) is not a choice option")
        }
    }

    /// Variants each option applies to, by its command-line name (the manifest's key in kebab case).
    static let applicability: [(option: String, variants: Set<NeuronSpec.Variant>)] = [
        ("--v-threshold", [.if, .lif, .plif, .psu, .ipsu, .rpsu, .spikePack, .generalSNN]),
        ("--tau", [.lif, .plif, .psu, .ipsu, .rpsu]),
        ("--v-reset", [.if, .lif, .plif]),
        ("--decay-input", [.lif, .plif]),
        ("--detach-reset", [.if, .lif, .plif]),
        ("--surrogate", surrogateVariants),
        ("--alpha", surrogateVariants),
        ("--learnable-alpha", surrogateVariants),
        ("--order", [.maskedPSN, .slidingPSN]),
        ("--lambda", [.maskedPSN]),
        ("--ipsu-reset", [.ipsu]),
        ("--base", [.spikePack]),
        ("--bits", [.spikePack]),
        ("--rounding", [.spikePack]),
        ("--threshold-mode", [.spikePack]),
        ("--leak", [.generalSNN]),
    ]
    static let surrogateVariants: Set<NeuronSpec.Variant> = [.if, .lif, .plif, .psn, .maskedPSN, .slidingPSN, .psu,
                                                            .ipsu, .rpsu, .generalSNN]

    /// The command-line names of the options that are set.
    var givenOptions: [String] {
        var given: [String] = []
        func note(_ name: String, _ value: Any?) { if value != nil { given.append(name) } }
        note("--v-threshold", vThreshold); note("--tau", tau); note("--v-reset", reset)
        note("--decay-input", decayInput); note("--detach-reset", detachReset); note("--surrogate", surrogate)
        note("--alpha", alpha); note("--learnable-alpha", learnableAlpha); note("--order", order)
        note("--lambda", lambda); note("--ipsu-reset", ipsuReset); note("--base", base); note("--bits", bits)
        note("--rounding", rounding); note("--threshold-mode", thresholdMode); note("--leak", leak)
        return given
    }

    /// The spec for an input whose leading axis is `inputSteps` (ignored for SpikePack), or a
    /// `NeuronProbeError.invalidOptions` naming every problem found.
    public func spec(inputSteps: Int) throws(NeuronProbeError) -> NeuronSpec {
        var problems: [String] = []
        if variant == .relu {
            throw .invalidOptions("--variant relu is not a spiking neuron; allowed: "
                                  + NeuronSpec.Variant.allCases.filter { $0 != .relu }.map(\.rawValue).joined(separator: ", "))
        }
        for name in givenOptions {
            guard let allowed = Self.applicability.first(where: { $0.option == name })?.variants else { continue }
            if !allowed.contains(variant) {
                let list = NeuronSpec.Variant.allCases.filter { allowed.contains($0) }.map(\.rawValue)
                problems.append("\(name) does not apply to \(variant.rawValue); it applies to \(list.joined(separator: ", "))")
            }
        }
        let steps: Int
        if variant.runsOverTime {
            steps = inputSteps
            if let timeSteps, timeSteps != inputSteps {
                problems.append("--time-steps \(timeSteps) does not match the input's leading (time) axis of \(inputSteps)")
            }
        } else {
            steps = timeSteps ?? 4
        }
        if let timeSteps, timeSteps < 1 { problems.append("--time-steps must be at least 1, got \(timeSteps)") }
        if let vThreshold, !(vThreshold > 0 && vThreshold.isFinite) {
            problems.append("--v-threshold must be a number > 0, got \(vThreshold)")
        }
        if let tau, !(tau > 1 && tau.isFinite) { problems.append("--tau must be a number > 1, got \(tau)") }
        if case .hard(let value)? = reset, !value.isFinite { problems.append("--v-reset must be finite or null, got \(value)") }
        if let alpha, !(alpha > 0 && alpha.isFinite) { problems.append("--alpha must be a number > 0, got \(alpha)") }
        if learnableAlpha == true, ![NeuronSpec.Variant.if, .lif, .plif, .psu, .ipsu, .rpsu].contains(variant) {
            problems.append("--learnable-alpha: \(variant.rawValue) has no learnable surrogate alpha; it exists for if, lif, plif, psu, ipsu, rpsu")
        }
        if [.maskedPSN, .slidingPSN].contains(variant) {
            if let order {
                if order < 1 || order > steps {
                    problems.append("--order must be in 1...\(steps) (the input's time steps), got \(order)")
                }
            } else {
                problems.append("--order is required for \(variant.rawValue) (how many past steps feed each step)")
            }
        }
        if let lambda, !(0...1).contains(lambda) { problems.append("--lambda must be in 0...1, got \(lambda)") }
        if let base, !(base >= 1 && base.isFinite) { problems.append("--base must be a number >= 1, got \(base)") }
        if let bits, !(1...24).contains(bits) { problems.append("--bits must be in 1...24, got \(bits)") }
        if thresholdMode == .calibrated {
            problems.append("--threshold-mode calibrated needs a network's activations; use fixed or learnable here")
        }
        if let leak, !(leak > 0 && leak < 1) { problems.append("--leak must be in (0, 1), got \(leak)") }
        if !problems.isEmpty { throw .invalidOptions(problems.joined(separator: "; ")) }

        var spec = NeuronSpec(variant, timeSteps: steps)
        spec.vThreshold = vThreshold
        if let tau { spec.tau = tau }
        switch reset {
        case .hard(let value)?: spec.vReset = value
        case .soft?: spec.vReset = nil
        case nil: break
        }
        if let decayInput { spec.decayInput = decayInput }
        if let detachReset { spec.detachReset = detachReset }
        spec.surrogate = surrogate
        spec.surrogateAlpha = alpha
        spec.learnableAlpha = learnableAlpha
        if let order { spec.order = order }
        if let lambda { spec.lambda = lambda }
        if let ipsuReset { spec.ipsuReset = ipsuReset }
        if let base { spec.base = base }
        spec.bits = bits
        if let rounding { spec.rounding = rounding }
        if let thresholdMode { spec.thresholdMode = thresholdMode }
        if let leak { spec.decay = leak }
        if let problem = spec.problem { throw .invalidOptions(problem) }
        return spec
    }
}
