import Foundation
import SpikeTensor

/// Adam — PyTorch's `torch.optim.Adam` algorithm, with L2 weight decay added to the gradient.
///
/// For each parameter p with gradient g, at step t:
/// ```
/// g = g + weightDecay·p
/// m = m + (1 − β1)·(g − m)                 // exp_avg
/// v = β2·v + (1 − β2)·g²                   // exp_avg_sq
/// v̂ = amsgrad ? (vmax = max(vmax, v)) : v  // max_exp_avg_sq
/// p = p − lr/(1 − β1ᵗ) · m / (√v̂ / √(1 − β2ᵗ) + eps)
/// ```
/// The step count t is kept per optimizer (PyTorch keeps one per parameter): it counts
/// `step()` calls. For parameters that have a gradient at every step — the normal case — the
/// two agree exactly; a parameter that first receives a gradient at step k starts its bias
/// correction at t = k here, at t = 1 in PyTorch.
public final class Adam: Optimizer {
    let core: AdamCore

    /// Adam over `parameters` (named as in the model's `state_dict`).
    public init(parameters: [NamedParameter], lr: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999),
                eps: Float = 1e-8, weightDecay: Float = 0, amsgrad: Bool = false) {
        core = AdamCore(kind: "adam", parameters: parameters, lr: lr, betas: betas, eps: eps,
                        weightDecay: weightDecay, amsgrad: amsgrad, decoupled: false)
    }

    /// The parameters this optimizer updates, in update order.
    public var parameters: [NamedParameter] { core.parameters }
    /// Learning rate the next step uses.
    public var learningRate: Float {
        get { core.learningRate }
        set { core.learningRate = newValue }
    }
    /// Decay rates of the first and second moment estimates.
    public var betas: (Float, Float) { (core.beta1, core.beta2) }
    /// Added to the denominator for numerical stability.
    public var eps: Float { core.eps }
    /// L2 penalty added to the gradient.
    public var weightDecay: Float { core.weightDecay }
    /// Whether the denominator uses the running maximum of the second moment.
    public var amsgrad: Bool { core.amsgrad }
    /// Number of `step()` calls so far.
    public var stepCount: Int { core.stepCount }

    public func step() { core.step() }
    public func zeroGrad() { core.zeroGrad() }
    public func exportState() -> OptimizerState { core.exportState() }
    public func importState(_ state: OptimizerState) throws { try core.importState(state) }
}

/// AdamW — PyTorch's `torch.optim.AdamW`: Adam with decoupled weight decay.
///
/// Before the Adam update (without L2 term), each parameter shrinks: `p = p·(1 − lr·weightDecay)`.
/// The step count is kept per optimizer, as for `Adam`.
public final class AdamW: Optimizer {
    let core: AdamCore

    /// AdamW over `parameters` (named as in the model's `state_dict`).
    public init(parameters: [NamedParameter], lr: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999),
                eps: Float = 1e-8, weightDecay: Float = 1e-2, amsgrad: Bool = false) {
        core = AdamCore(kind: "adamw", parameters: parameters, lr: lr, betas: betas, eps: eps,
                        weightDecay: weightDecay, amsgrad: amsgrad, decoupled: true)
    }

    /// The parameters this optimizer updates, in update order.
    public var parameters: [NamedParameter] { core.parameters }
    /// Learning rate the next step uses.
    public var learningRate: Float {
        get { core.learningRate }
        set { core.learningRate = newValue }
    }
    /// Decay rates of the first and second moment estimates.
    public var betas: (Float, Float) { (core.beta1, core.beta2) }
    /// Added to the denominator for numerical stability.
    public var eps: Float { core.eps }
    /// Decoupled weight decay: the fraction `lr·weightDecay` of each parameter removed per step.
    public var weightDecay: Float { core.weightDecay }
    /// Whether the denominator uses the running maximum of the second moment.
    public var amsgrad: Bool { core.amsgrad }
    /// Number of `step()` calls so far.
    public var stepCount: Int { core.stepCount }

    public func step() { core.step() }
    public func zeroGrad() { core.zeroGrad() }
    public func exportState() -> OptimizerState { core.exportState() }
    public func importState(_ state: OptimizerState) throws { try core.importState(state) }
}

/// The Adam update shared by `Adam` (L2 decay in the gradient) and `AdamW` (decoupled decay).
final class AdamCore {
    let kind: String
    let parameters: [NamedParameter]
    var learningRate: Float
    let beta1: Float, beta2: Float, eps: Float, weightDecay: Float
    let amsgrad: Bool, decoupled: Bool
    var stepCount = 0

    private let table: [String: Tensor]
    /// Per parameter: exp_avg, exp_avg_sq and (amsgrad only) max_exp_avg_sq.
    private var moments: [String: Moments] = [:]

    struct Moments {
        var first: Tensor
        var second: Tensor
        var maxSecond: Tensor?
    }

    static let firstSlot = "exp_avg", secondSlot = "exp_avg_sq", maxSlot = "max_exp_avg_sq"

    init(kind: String, parameters: [NamedParameter], lr: Float, betas: (Float, Float), eps: Float,
         weightDecay: Float, amsgrad: Bool, decoupled: Bool) {
        let name = decoupled ? "AdamW" : "Adam"
        precondition(lr >= 0, "\(name): learning rate must be non-negative, got \(lr)")
        precondition(eps >= 0, "\(name): eps must be non-negative, got \(eps)")
        precondition(betas.0 >= 0 && betas.0 < 1 && betas.1 >= 0 && betas.1 < 1,
                     "\(name): betas must lie in [0, 1), got (\(betas.0), \(betas.1))")
        precondition(weightDecay >= 0, "\(name): weight decay must be non-negative, got \(weightDecay)")
        self.kind = kind
        self.parameters = parameters
        self.table = parameterTable(parameters, optimizer: name)
        self.learningRate = lr
        self.beta1 = betas.0
        self.beta2 = betas.1
        self.eps = eps
        self.weightDecay = weightDecay
        self.amsgrad = amsgrad
        self.decoupled = decoupled
    }

    func step() {
        stepCount += 1
        // Bias corrections in Double, as PyTorch computes them with Python floats.
        let t = Double(stepCount)
        let correction1 = 1 - pow(Double(beta1), t)
        let correction2 = 1 - pow(Double(beta2), t)
        let stepSize = Float(Double(learningRate) / correction1)
        let correction2Root = Float(correction2.squareRoot())
        let decay = Float(1 - Double(learningRate) * Double(weightDecay))
        for (name, p) in parameters {
            guard let g = p.grad else { continue }
            checkGradient(g, of: p, name: name, optimizer: decoupled ? "AdamW" : "Adam")
            let state: Moments
            if let existing = moments[name] {
                state = existing
            } else {
                // Fresh moments are zero, as PyTorch creates them on a parameter's first step.
                state = Moments(first: p.zerosLike(), second: p.zerosLike(),
                                maxSecond: amsgrad ? p.zerosLike() : nil)
                moments[name] = state
            }
            update(p, g, state, stepSize: stepSize, correction2Root: correction2Root, decay: decay)
        }
    }

    /// One fused pass over a parameter: decay, moment updates, parameter update.
    private func update(_ parameter: Tensor, _ gradient: Tensor, _ state: Moments,
                        stepSize: Float, correction2Root: Float, decay: Float) {
        let p = parameter.floats.baseAddress!, g = gradient.floats.baseAddress!
        let m = state.first.floats.baseAddress!, v = state.second.floats.baseAddress!
        let vmax = state.maxSecond?.floats.baseAddress
        let wd = weightDecay, decoupled = decoupled
        let beta2 = beta2, eps = eps
        let oneMinusBeta1 = Float(1 - Double(beta1)), oneMinusBeta2 = Float(1 - Double(beta2))
        parallelChunks(parameter.count, minChunk: updateMinChunk) { range in
            var i = range.lowerBound
            while i < range.upperBound {
                let lanes = min(8, range.upperBound - i)
                var pv = loadLanes(p, i, lanes)
                var gv = loadLanes(g, i, lanes)
                if wd != 0 {
                    if decoupled { pv = pv * decay } else { gv = gv + pv * wd }
                }
                var mv = loadLanes(m, i, lanes)
                mv = mv + (gv - mv) * oneMinusBeta1
                storeLanes(mv, m, i, lanes)
                var vv = loadLanes(v, i, lanes)
                vv = vv * beta2 + gv * oneMinusBeta2 * gv
                storeLanes(vv, v, i, lanes)
                if let vmax {
                    vv = pointwiseMax(loadLanes(vmax, i, lanes), vv)
                    storeLanes(vv, vmax, i, lanes)
                }
                let denominator = vv.squareRoot() / correction2Root + eps
                storeLanes(pv - stepSize * mv / denominator, p, i, lanes)
                i += lanes
            }
        }
    }

    func zeroGrad() {
        for (_, p) in parameters { p.grad = nil }
    }

    /// Hyper-parameters that must agree between a saved state and this optimizer.
    private var fixedHyperParameters: [String: Double] {
        ["beta1": Double(beta1), "beta2": Double(beta2), "eps": Double(eps),
         "weight_decay": Double(weightDecay), "amsgrad": amsgrad ? 1 : 0]
    }

    func exportState() -> OptimizerState {
        var buffers: [String: [String: Tensor]] = [:]
        for (name, state) in moments {
            var slots = [Self.firstSlot: state.first.copy(), Self.secondSlot: state.second.copy()]
            if let maxSecond = state.maxSecond { slots[Self.maxSlot] = maxSecond.copy() }
            buffers[name] = slots
        }
        return OptimizerState(
            kind: kind,
            hyperParameters: ["lr": Double(learningRate)].merging(fixedHyperParameters) { a, _ in a },
            stepCount: stepCount, buffers: buffers)
    }

    func importState(_ state: OptimizerState) throws {
        let slots = amsgrad ? [Self.firstSlot, Self.secondSlot, Self.maxSlot] : [Self.firstSlot, Self.secondSlot]
        try state.validate(kind: kind, parameters: table, fixed: fixedHyperParameters,
                           allowedSlots: slots, pairedSlots: slots)
        var restored: [String: Moments] = [:]
        for (name, buffers) in state.buffers where buffers[Self.firstSlot] != nil {
            restored[name] = Moments(first: buffers[Self.firstSlot]!.copy(),
                                     second: buffers[Self.secondSlot]!.copy(),
                                     maxSecond: buffers[Self.maxSlot]?.copy())
        }
        moments = restored
        stepCount = state.stepCount
        if let lr = state.hyperParameters["lr"] { learningRate = Float(lr) }
    }
}
