import SpikeTensor

/// Stochastic gradient descent with optional momentum, dampening, L2 weight decay and
/// Nesterov momentum — PyTorch's `torch.optim.SGD` algorithm.
///
/// For each parameter p with gradient g, at its t-th update:
/// ```
/// d = g + weightDecay·p
/// if momentum ≠ 0:
///     b = (t == 1) ? d : momentum·b + (1 − dampening)·d     // first update: b = d, undampened
///     d = nesterov ? d + momentum·b : b
/// p = p − lr·d
/// ```
/// As in PyTorch, "first update" is per parameter: its momentum buffer is created the first
/// time the parameter has a gradient.
public final class SGD: Optimizer {
    /// The parameters this optimizer updates, in update order.
    public let parameters: [NamedParameter]
    /// Learning rate the next step uses.
    public var learningRate: Float
    /// Momentum factor (0: plain SGD).
    public let momentum: Float
    /// Fraction of the new gradient left out of the momentum buffer.
    public let dampening: Float
    /// L2 penalty added to the gradient (`weightDecay · p`).
    public let weightDecay: Float
    /// Whether to use Nesterov momentum.
    public let nesterov: Bool
    /// Number of `step()` calls so far.
    public private(set) var stepCount = 0

    private let table: [String: Tensor]
    private var momentumBuffers: [String: Tensor] = [:]

    static let kind = "sgd"
    static let slot = "momentum_buffer"

    /// SGD over `parameters` (named as in the model's `state_dict`).
    public init(parameters: [NamedParameter], lr: Float, momentum: Float = 0, dampening: Float = 0,
                weightDecay: Float = 0, nesterov: Bool = false) {
        precondition(lr >= 0, "SGD: learning rate must be non-negative, got \(lr)")
        precondition(momentum >= 0, "SGD: momentum must be non-negative, got \(momentum)")
        precondition(weightDecay >= 0, "SGD: weight decay must be non-negative, got \(weightDecay)")
        precondition(!nesterov || (momentum > 0 && dampening == 0),
                     "SGD: Nesterov momentum requires momentum > 0 and dampening 0, got momentum \(momentum), dampening \(dampening)")
        self.parameters = parameters
        self.table = parameterTable(parameters, optimizer: "SGD")
        self.learningRate = lr
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
    }

    public func step() {
        stepCount += 1
        for (name, p) in parameters {
            guard let g = p.grad else { continue }
            checkGradient(g, of: p, name: name, optimizer: "SGD")
            if momentum == 0 {
                update(p, g, buffer: nil, firstUpdate: false)
            } else if let buffer = momentumBuffers[name] {
                update(p, g, buffer: buffer, firstUpdate: false)
            } else {
                let buffer = Tensor(shape: p.shape, uninitialized: true)
                momentumBuffers[name] = buffer
                update(p, g, buffer: buffer, firstUpdate: true)
            }
        }
    }

    /// One fused pass over a parameter: weight decay, momentum, update.
    private func update(_ parameter: Tensor, _ gradient: Tensor, buffer: Tensor?, firstUpdate: Bool) {
        let p = parameter.floats.baseAddress!, g = gradient.floats.baseAddress!
        let b = buffer?.floats.baseAddress
        let lr = learningRate, wd = weightDecay, m = momentum, nesterov = nesterov
        let keep = Float(1 - Double(dampening))
        parallelChunks(parameter.count, minChunk: updateMinChunk) { range in
            var i = range.lowerBound
            while i < range.upperBound {
                let lanes = min(8, range.upperBound - i)
                let pv = loadLanes(p, i, lanes)
                var d = loadLanes(g, i, lanes)
                if wd != 0 { d = d + pv * wd }
                if let b {
                    let bv = firstUpdate ? d : loadLanes(b, i, lanes) * m + d * keep
                    storeLanes(bv, b, i, lanes)
                    d = nesterov ? d + bv * m : bv
                }
                storeLanes(pv - d * lr, p, i, lanes)
                i += lanes
            }
        }
    }

    public func zeroGrad() {
        for (_, p) in parameters { p.grad = nil }
    }

    public func exportState() -> OptimizerState {
        OptimizerState(
            kind: Self.kind,
            hyperParameters: ["lr": Double(learningRate)].merging(fixedHyperParameters) { a, _ in a },
            stepCount: stepCount,
            buffers: momentumBuffers.mapValues { [Self.slot: $0.copy()] })
    }

    public func importState(_ state: OptimizerState) throws {
        try state.validate(kind: Self.kind, parameters: table, fixed: fixedHyperParameters,
                           allowedSlots: [Self.slot])
        var restored: [String: Tensor] = [:]
        for (name, slots) in state.buffers {
            if let buffer = slots[Self.slot] { restored[name] = buffer.copy() }
        }
        momentumBuffers = restored
        stepCount = state.stepCount
        if let lr = state.hyperParameters["lr"] { learningRate = Float(lr) }
    }

    /// Hyper-parameters that must agree between a saved state and this optimizer.
    private var fixedHyperParameters: [String: Double] {
        ["momentum": Double(momentum), "dampening": Double(dampening),
         "weight_decay": Double(weightDecay), "nesterov": nesterov ? 1 : 0]
    }
}
