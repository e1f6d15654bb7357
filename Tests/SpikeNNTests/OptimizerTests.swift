import Foundation
import Testing
@testable import SpikeNN
import SpikeTensor

// MARK: - Fixtures

/// Three parameters of different shapes plus one that never receives a gradient.
private func makeParameters() -> [NamedParameter] {
    func values(_ n: Int, _ seed: Double) -> [Float] { (0..<n).map { Float(sin(Double($0) * 1.3 + seed) * 0.8) } }
    return [
        ("layer1.weight", Tensor(values(6, 0.1), shape: [2, 3], requiresGrad: true)),
        ("layer1.bias", Tensor(values(3, 1.7), shape: [3], requiresGrad: true)),
        // 20 elements: more than one group of eight lanes plus a tail.
        ("layer2.weight", Tensor(values(20, 2.9), shape: [4, 5], requiresGrad: true)),
        ("frozen.weight", Tensor(values(4, 4.2), shape: [2, 2], requiresGrad: true)),
    ]
}

/// The gradient of parameter `index` at step `step` (varies in sign and size across steps);
/// nil for the frozen parameter, and for `layer1.bias` on step 2 when `skipping` is set.
private func gradient(step: Int, index: Int, count: Int, skipping: Bool = false) -> [Float]? {
    if index == 3 { return nil }
    if skipping && index == 1 && step == 2 { return nil }
    return (0..<count).map { i in
        Float(cos(Double(i) * 0.7 + Double(step) * 1.9 + Double(index) * 0.4) * (1 + 0.5 * Double(step)))
    }
}

/// Gives every parameter its gradient for `step`.
private func assignGradients(_ parameters: [NamedParameter], step: Int, skipping: Bool = false) {
    for (index, (_, p)) in parameters.enumerated() {
        p.grad = gradient(step: step, index: index, count: p.count, skipping: skipping)
            .map { Tensor($0, shape: p.shape) }
    }
}

/// Expects `actual` to equal `expected` within `tolerance` relative to max(1, |expected|).
private func expectClose(_ actual: [Float], _ expected: [Double], tolerance: Double,
                         sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.count == expected.count, sourceLocation: sourceLocation)
    for (a, e) in zip(actual, expected) {
        #expect(abs(Double(a) - e) <= tolerance * max(1, abs(e)), "got \(a), expected \(e)",
                sourceLocation: sourceLocation)
    }
}

// MARK: - Slow references: PyTorch's documented algorithms, in Double

/// torch.optim.SGD, one parameter at a time, buffer created on the parameter's first gradient.
private struct ReferenceSGD {
    var lr, momentum, dampening, weightDecay: Double
    var nesterov: Bool
    var buffers: [Int: [Double]] = [:]

    mutating func step(_ params: inout [[Double]], _ grads: [[Double]?]) {
        for j in params.indices {
            guard let grad = grads[j] else { continue }
            var g = grad
            if weightDecay != 0 { for i in g.indices { g[i] += weightDecay * params[j][i] } }
            if momentum != 0 {
                var b: [Double]
                if let old = buffers[j] {
                    b = old
                    for i in b.indices { b[i] = momentum * b[i] + (1 - dampening) * g[i] }
                } else {
                    b = g
                }
                buffers[j] = b
                if nesterov { for i in g.indices { g[i] += momentum * b[i] } } else { g = b }
            }
            for i in g.indices { params[j][i] -= lr * g[i] }
        }
    }
}

/// torch.optim.Adam / AdamW (every parameter gets a gradient at every step, so a single t is
/// PyTorch's per-parameter t).
private struct ReferenceAdam {
    var lr, beta1, beta2, eps, weightDecay: Double
    var amsgrad, decoupled: Bool
    var t = 0
    var m: [Int: [Double]] = [:], v: [Int: [Double]] = [:], vmax: [Int: [Double]] = [:]

    mutating func step(_ params: inout [[Double]], _ grads: [[Double]?]) {
        t += 1
        for j in params.indices {
            guard var g = grads[j] else { continue }
            let n = g.count
            if decoupled {
                for i in 0..<n { params[j][i] *= 1 - lr * weightDecay }
            } else if weightDecay != 0 {
                for i in 0..<n { g[i] += weightDecay * params[j][i] }
            }
            var mj = m[j] ?? Array(repeating: 0, count: n)
            var vj = v[j] ?? Array(repeating: 0, count: n)
            var vmaxj = vmax[j] ?? Array(repeating: 0, count: n)
            for i in 0..<n {
                mj[i] = beta1 * mj[i] + (1 - beta1) * g[i]
                vj[i] = beta2 * vj[i] + (1 - beta2) * g[i] * g[i]
                let mHat = mj[i] / (1 - pow(beta1, Double(t)))
                vmaxj[i] = max(vmaxj[i], vj[i])
                let vHat = (amsgrad ? vmaxj[i] : vj[i]) / (1 - pow(beta2, Double(t)))
                params[j][i] -= lr * mHat / (vHat.squareRoot() + eps)
            }
            m[j] = mj; v[j] = vj; vmax[j] = vmaxj
        }
    }
}

/// One optimizer configuration exercised against its reference.
struct OptimizerCase: Sendable, CustomStringConvertible {
    enum Kind: Sendable { case sgd, adam, adamw }
    var kind: Kind
    var lr: Float
    var momentum: Float = 0, dampening: Float = 0, nesterov = false
    var weightDecay: Float = 0
    var amsgrad = false
    var label: String

    var description: String { label }

    func makeOptimizer(_ parameters: [NamedParameter]) -> any Optimizer {
        switch kind {
        case .sgd:
            SGD(parameters: parameters, lr: lr, momentum: momentum, dampening: dampening,
                weightDecay: weightDecay, nesterov: nesterov)
        case .adam:
            Adam(parameters: parameters, lr: lr, weightDecay: weightDecay, amsgrad: amsgrad)
        case .adamw:
            AdamW(parameters: parameters, lr: lr, weightDecay: weightDecay, amsgrad: amsgrad)
        }
    }

    static let all: [OptimizerCase] = [
        OptimizerCase(kind: .sgd, lr: 0.1, label: "plain SGD"),
        OptimizerCase(kind: .sgd, lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 1e-2,
                      label: "SGD with momentum, dampening and weight decay"),
        OptimizerCase(kind: .sgd, lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 5e-4,
                      label: "SGD with Nesterov momentum"),
        OptimizerCase(kind: .adam, lr: 1e-2, label: "Adam"),
        OptimizerCase(kind: .adam, lr: 1e-2, weightDecay: 0.1, amsgrad: true, label: "Adam with L2 decay and AMSGrad"),
        OptimizerCase(kind: .adamw, lr: 1e-2, weightDecay: 1e-2, label: "AdamW"),
        OptimizerCase(kind: .adamw, lr: 3e-2, weightDecay: 0.5, amsgrad: true, label: "AdamW with AMSGrad"),
    ]
}

// MARK: - Tests

@Suite("Optimizers follow PyTorch's algorithms")
struct OptimizerTests {
    @Test("five steps match a Double reference of PyTorch's pseudo-code", arguments: OptimizerCase.all)
    func matchesReference(_ config: OptimizerCase) {
        let parameters = makeParameters()
        let frozenBefore = parameters[3].tensor.array
        let optimizer = config.makeOptimizer(parameters)
        var reference = parameters.map { $0.tensor.array.map(Double.init) }
        // SGD also checks a parameter that misses a gradient mid-run (its buffer is per parameter);
        // Adam's step count is per optimizer, so its reference run gives everyone a gradient.
        let skipping = config.kind == .sgd
        var sgd = ReferenceSGD(lr: Double(config.lr), momentum: Double(config.momentum),
                               dampening: Double(config.dampening), weightDecay: Double(config.weightDecay),
                               nesterov: config.nesterov)
        var adam = ReferenceAdam(lr: Double(config.lr), beta1: 0.9, beta2: 0.999, eps: 1e-8,
                                 weightDecay: Double(config.weightDecay), amsgrad: config.amsgrad,
                                 decoupled: config.kind == .adamw)
        for step in 0..<5 {
            assignGradients(parameters, step: step, skipping: skipping)
            let grads = parameters.enumerated().map { index, named in
                gradient(step: step, index: index, count: named.tensor.count, skipping: skipping)?.map(Double.init)
            }
            optimizer.step()
            if config.kind == .sgd { sgd.step(&reference, grads) } else { adam.step(&reference, grads) }
        }
        for (index, (_, p)) in parameters.enumerated() {
            expectClose(p.array, reference[index], tolerance: 2e-6)
        }
        #expect(parameters[3].tensor.array == frozenBefore, "a parameter without gradient must stay untouched")
        #expect(optimizer.exportState().buffers["frozen.weight"] == nil)
    }

    @Test("SGD with momentum and weight decay: two steps by hand")
    func sgdByHand() {
        let p = Tensor([1.0, -2.0], requiresGrad: true)
        let sgd = SGD(parameters: [("p", p)], lr: 0.1, momentum: 0.9, weightDecay: 0.1)
        p.grad = Tensor([0.5, 0.25])
        sgd.step()
        // d = g + 0.1·p = [0.6, 0.05]; first step b = d; p = p − 0.1·b = [0.94, −2.005]
        expectClose(p.array, [0.94, -2.005], tolerance: 1e-6)
        p.grad = Tensor([0.5, 0.25])
        sgd.step()
        // d = [0.5 + 0.094, 0.25 − 0.2005] = [0.594, 0.0495]
        // b = 0.9·[0.6, 0.05] + d = [1.134, 0.0945]; p = [0.94 − 0.1134, −2.005 − 0.00945]
        expectClose(p.array, [0.8266, -2.01445], tolerance: 1e-6)
        expectClose(sgd.exportState().buffers["p"]!["momentum_buffer"]!.array, [1.134, 0.0945], tolerance: 1e-6)
    }

    @Test("SGD with Nesterov momentum: two steps by hand")
    func nesterovByHand() {
        let p = Tensor([1.0], requiresGrad: true)
        let sgd = SGD(parameters: [("p", p)], lr: 0.1, momentum: 0.5, nesterov: true)
        p.grad = Tensor([1.0])
        sgd.step()
        // b = 1; d = g + 0.5·b = 1.5; p = 1 − 0.15 = 0.85
        expectClose(p.array, [0.85], tolerance: 1e-6)
        sgd.step()
        // b = 0.5·1 + 1 = 1.5; d = 1 + 0.5·1.5 = 1.75; p = 0.85 − 0.175 = 0.675
        expectClose(p.array, [0.675], tolerance: 1e-6)
    }

    @Test("Adam: two steps by hand")
    func adamByHand() {
        let p = Tensor([1.0], requiresGrad: true)
        let adam = Adam(parameters: [("p", p)], lr: 0.1)
        p.grad = Tensor([0.5])
        adam.step()
        // m = 0.1·0.5 = 0.05, v = 0.001·0.25 = 0.00025; m̂ = 0.05/0.1 = 0.5, v̂ = 0.00025/0.001 = 0.25
        // p = 1 − 0.1·0.5/(√0.25 + 1e-8) = 0.900000002
        expectClose(p.array, [0.900000002], tolerance: 1e-7)
        p.grad = Tensor([-0.25])
        adam.step()
        // m = 0.9·0.05 − 0.1·0.25 = 0.02, v = 0.999·0.00025 + 0.001·0.0625 = 0.00031225
        // m̂ = 0.02/0.19 = 0.1052632, v̂ = 0.00031225/0.001999 = 0.1562031, √v̂ = 0.3952254
        // p = 0.900000002 − 0.1·0.1052632/0.3952254 = 0.8733663
        expectClose(p.array, [0.8733663], tolerance: 1e-6)
        #expect(adam.stepCount == 2)
    }

    @Test("AdamW: decoupled decay then the Adam step, by hand")
    func adamWByHand() {
        let p = Tensor([1.0, -1.0], requiresGrad: true)
        let adamw = AdamW(parameters: [("p", p)], lr: 0.1, weightDecay: 0.1)
        p.grad = Tensor([0.5, 0.5])
        adamw.step()
        // p·(1 − 0.1·0.1) = [0.99, −0.99]; first Adam step moves by lr·sign(g)·(0.5/(0.5 + 1e-8))
        // = 0.099999998, so p = [0.890000002, −1.089999998]
        expectClose(p.array, [0.890000002, -1.089999998], tolerance: 1e-7)
        // Adam's L2 decay instead changes the gradient, not the parameter: g = 0.5 + 0.1·(−1) > 0,
        // so the first step is again a move of lr against the sign: −1 − 0.1.
        let q = Tensor([-1.0], requiresGrad: true)
        let adam = Adam(parameters: [("q", q)], lr: 0.1, weightDecay: 0.1)
        q.grad = Tensor([0.5])
        adam.step()
        expectClose(q.array, [-1.1], tolerance: 1e-7)
    }

    @Test("zeroGrad drops every gradient")
    func zeroGradDropsGradients() {
        let parameters = makeParameters()
        assignGradients(parameters, step: 0)
        let optimizer = SGD(parameters: parameters, lr: 0.1)
        optimizer.zeroGrad()
        #expect(parameters.allSatisfy { $0.tensor.grad == nil })
    }

    @Test("SGD with momentum drives a small least-squares problem to zero loss")
    func sgdSolvesLeastSquares() {
        // loss(w) = ‖A·w − y‖² / (2n) with y = A·w*, so the minimum is 0 at w = w*.
        // Gradient by hand: ∇loss = Aᵀ(A·w − y) / n.
        let a: [[Double]] = [[1, 0.5, -0.3], [0.2, 1, 0.4], [-0.6, 0.3, 1], [0.9, -0.8, 0.1],
                             [0.3, 0.3, 0.3], [-1, 0.2, 0.6], [0.5, -0.4, -0.9], [0.1, 0.7, -0.2]]
        let target: [Double] = [1, -2, 0.5]
        let y = a.map { row in zip(row, target).reduce(0) { $0 + $1.0 * $1.1 } }
        let n = Double(a.count)
        let w = Tensor.zeros([3], requiresGrad: true)
        func lossAndGradient() -> (Double, [Float]) {
            let wv = w.array.map(Double.init)
            var grad = [Double](repeating: 0, count: 3), loss = 0.0
            for (row, yi) in zip(a, y) {
                let r = zip(row, wv).reduce(0) { $0 + $1.0 * $1.1 } - yi
                loss += r * r / (2 * n)
                for k in 0..<3 { grad[k] += row[k] * r / n }
            }
            return (loss, grad.map(Float.init))
        }
        let sgd = SGD(parameters: [("w", w)], lr: 0.2, momentum: 0.9)
        let initial = lossAndGradient().0
        for _ in 0..<300 {
            let (_, g) = lossAndGradient()
            sgd.zeroGrad()
            w.grad = Tensor(g)
            sgd.step()
        }
        let final = lossAndGradient().0
        #expect(initial > 0.5)
        #expect(final < 1e-10, "loss \(initial) → \(final)")
        expectClose(w.array, target, tolerance: 1e-4)
    }

    @Test("updates of large parameters split over threads match the element-wise reference")
    func largeParameterMatchesReference() {
        let n = 100_003  // several chunks of 1 << 15 and a tail shorter than eight lanes
        let p = Tensor((0..<n).map { Float(sin(Double($0) * 0.01)) }, requiresGrad: true)
        let start = p.array
        let grad = (0..<n).map { Float(cos(Double($0) * 0.013)) }
        let adamw = AdamW(parameters: [("big", p)], lr: 0.01, weightDecay: 0.1, amsgrad: true)
        var reference = [start.map(Double.init)]
        var adam = ReferenceAdam(lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1,
                                 amsgrad: true, decoupled: true)
        for step in 0..<3 {
            let g = grad.map { $0 * Float(step + 1) * (step == 1 ? -1 : 1) }
            p.grad = Tensor(g)
            adamw.step()
            adam.step(&reference, [g.map(Double.init)])
        }
        expectClose(p.array, reference[0], tolerance: 2e-6)
    }
}

@Suite("Optimizer state export and import")
struct OptimizerStateTests {
    @Test("export, import into a fresh optimizer and continue gives bit-identical parameters",
          arguments: OptimizerCase.all)
    func resumeIsBitIdentical(_ config: OptimizerCase) throws {
        // Uninterrupted: six steps (layer1.bias misses its gradient on step 2).
        let straight = makeParameters()
        let straightOptimizer = config.makeOptimizer(straight)
        for step in 0..<6 {
            assignGradients(straight, step: step, skipping: true)
            straightOptimizer.step()
        }

        // Interrupted after three steps: the state and copies of the parameters go to a fresh
        // optimizer built with another learning rate (import restores the saved one).
        let first = makeParameters()
        let firstOptimizer = config.makeOptimizer(first)
        for step in 0..<3 {
            assignGradients(first, step: step, skipping: true)
            firstOptimizer.step()
        }
        let saved = firstOptimizer.exportState()
        let resumed: [NamedParameter] = first.map { ($0.name, $0.tensor.copy()) }
        var other = config
        other.lr *= 3
        let resumedOptimizer = other.makeOptimizer(resumed)
        try resumedOptimizer.importState(saved)
        #expect(resumedOptimizer.learningRate == config.lr)
        for step in 3..<6 {
            assignGradients(resumed, step: step, skipping: true)
            resumedOptimizer.step()
        }
        for (a, b) in zip(straight, resumed) {
            #expect(a.tensor.hasIdenticalBytes(to: b.tensor), "\(a.name) differs after resume")
        }
        #expect(resumedOptimizer.exportState() == straightOptimizer.exportState())

        // The export is a snapshot: further steps of the exporting optimizer leave it unchanged.
        let again = firstOptimizer.exportState()
        assignGradients(first, step: 3)
        firstOptimizer.step()
        #expect(saved == again)
        #expect(firstOptimizer.exportState() != again)
    }

    @Test("importing a state of another kind fails and names both kinds")
    func wrongKind() {
        let parameters = makeParameters()
        let sgd = SGD(parameters: parameters, lr: 0.1, momentum: 0.9)
        let adam = Adam(parameters: parameters)
        #expect(throws: OptimizerStateError.kindMismatch(expected: "adam", found: "sgd")) {
            try adam.importState(sgd.exportState())
        }
        #expect(OptimizerStateError.kindMismatch(expected: "adam", found: "sgd").description
            == "optimizer state was written by 'sgd', this optimizer is 'adam'")
        #expect(throws: OptimizerStateError.kindMismatch(expected: "adamw", found: "adam")) {
            try AdamW(parameters: parameters).importState(adam.exportState())
        }
    }

    @Test("importing buffers for a parameter the optimizer lacks fails and names it")
    func unknownParameter() {
        let parameters = makeParameters()
        let sgd = SGD(parameters: parameters, lr: 0.1, momentum: 0.9)
        var state = sgd.exportState()
        state.buffers["fc.weight"] = ["momentum_buffer": Tensor.zeros([2])]
        let error = OptimizerStateError.unknownParameter(name: "fc.weight", parameterCount: 4)
        #expect(throws: error) { try sgd.importState(state) }
        #expect(error.description
            == "optimizer state has buffers for parameter 'fc.weight', which is not among this optimizer's 4 parameters")
    }

    @Test("importing a buffer of the wrong shape fails, names the slot and both shapes, and changes nothing")
    func wrongShape() throws {
        let parameters = makeParameters()
        assignGradients(parameters, step: 0)
        let adam = Adam(parameters: parameters, amsgrad: true)
        adam.step()
        let before = adam.exportState()
        var state = before
        state.stepCount = 7
        state.buffers["layer1.weight"]!["exp_avg_sq"] = Tensor.zeros([3, 2])
        let error = OptimizerStateError.shapeMismatch(parameter: "layer1.weight", slot: "exp_avg_sq",
                                                      expected: [2, 3], found: [3, 2])
        #expect(throws: error) { try adam.importState(state) }
        #expect(error.description
            == "optimizer state for parameter 'layer1.weight', slot 'exp_avg_sq': expected shape [2, 3], found [3, 2]")
        #expect(adam.exportState() == before)
    }

    @Test("importing a state with other fixed hyper-parameters, slots or a missing moment fails")
    func otherMismatches() throws {
        let parameters = makeParameters()
        assignGradients(parameters, step: 0)
        let sgd = SGD(parameters: parameters, lr: 0.1, momentum: 0.9)
        sgd.step()
        #expect(throws: OptimizerStateError.hyperParameterMismatch(name: "momentum", expected: 0.5, found: Double(Float(0.9)))) {
            try SGD(parameters: parameters, lr: 0.1, momentum: 0.5).importState(sgd.exportState())
        }
        var renamed = sgd.exportState()
        renamed.buffers["layer1.bias"] = ["velocity": Tensor.zeros([3])]
        #expect(throws: OptimizerStateError.unknownSlot(parameter: "layer1.bias", slot: "velocity",
                                                        allowed: ["momentum_buffer"])) {
            try sgd.importState(renamed)
        }
        let adam = Adam(parameters: parameters)
        adam.step()
        var partial = adam.exportState()
        partial.buffers["layer1.bias"]!["exp_avg_sq"] = nil
        #expect(throws: OptimizerStateError.missingSlot(parameter: "layer1.bias", slot: "exp_avg_sq")) {
            try adam.importState(partial)
        }
        // A different learning rate is not a mismatch: it is restored.
        let other = SGD(parameters: parameters, lr: 0.7, momentum: 0.9)
        try other.importState(sgd.exportState())
        #expect(other.learningRate == 0.1)
        #expect(other.exportState() == sgd.exportState())
    }
}

@Suite("Gradient-norm clipping")
struct GradientClippingTests {
    static func parameters(_ grads: [[Float]]) -> [Tensor] {
        grads.map { g in
            let p = Tensor.zeros([g.count], requiresGrad: true)
            p.grad = Tensor(g)
            return p
        }
    }

    @Test("scales all gradients by maxNorm / total norm when the 2-norm is too large")
    func clipsTwoNorm() {
        let ps = Self.parameters([[3, 4], [-12]])
        let skipped = Tensor.zeros([5], requiresGrad: true)  // no gradient: ignored
        // total = √(9 + 16 + 144) = 13; coefficient = 6.5 / (13 + 1e-6) ≈ 0.5
        let total = clipGradientNorm(ps + [skipped], maxNorm: 6.5)
        #expect(total == 13)
        let c = 6.5 / (13 + 1e-6)
        expectClose(ps[0].grad!.array, [3 * c, 4 * c], tolerance: 1e-7)
        expectClose(ps[1].grad!.array, [-12 * c], tolerance: 1e-7)
        #expect(skipped.grad == nil)
    }

    @Test("leaves gradients bit-identical when the norm is below maxNorm")
    func noScalingBelowMax() {
        let ps = Self.parameters([[3, 4], [-12]])
        #expect(clipGradientNorm(ps, maxNorm: 20) == 13)
        #expect(ps[0].grad!.array == [3, 4] && ps[1].grad!.array == [-12])
    }

    @Test("infinity, 1 and 3 norms")
    func otherNorms() {
        let inf = Self.parameters([[3, -4], [-12, 5]])
        // max |g| = 12; coefficient 6 / (12 + 1e-6)
        #expect(clipGradientNorm(inf, maxNorm: 6, normType: .infinity) == 12)
        expectClose(inf[1].grad!.array, [-6, 2.5], tolerance: 1e-6)
        let one = Self.parameters([[3, -4], [-12]])
        #expect(clipGradientNorm(one, maxNorm: 100, normType: 1) == 19)
        let three = Self.parameters([[3, -4]])
        // (27 + 64)^(1/3) = 4.497941
        expectClose([clipGradientNorm(three, maxNorm: 100, normType: 3)], [4.497941445], tolerance: 1e-6)
    }

    @Test("no gradients at all gives norm 0")
    func noGradients() {
        #expect(clipGradientNorm([Tensor.zeros([3], requiresGrad: true)], maxNorm: 1) == 0)
    }

    @Test("the norm of a large gradient matches a Double sum and clipping scales every element")
    func largeGradient() {
        let n = 200_001  // many fixed blocks, several thread chunks and a tail
        let values = (0..<n).map { Float(sin(Double($0) * 0.37)) }
        let p = Tensor.zeros([n], requiresGrad: true)
        p.grad = Tensor(values)
        let expected = values.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        let total = clipGradientNorm([p], maxNorm: 1)
        #expect(abs(Double(total) - expected) <= 1e-6 * expected)
        let c = Float(1) / (total + 1e-6)
        let clipped = p.grad!.array
        #expect(clipped.indices.allSatisfy { clipped[$0] == values[$0] * c })
    }
}
