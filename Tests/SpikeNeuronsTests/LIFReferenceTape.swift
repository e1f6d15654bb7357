import Foundation
@testable import SpikeNeurons
import SpikeTensor

/// A tiny reverse-mode autodiff over Double scalars, so the neuron references below are just
/// their forward definitions: BPTT falls out mechanically (as it does for SpikingJelly's
/// PyTorch autograd) instead of being re-derived by hand.
final class LIFReferenceTape {
    private(set) var values: [Double] = []
    private var parents: [[(Int, Double)]] = []

    /// A new variable with no parents.
    func leaf(_ v: Double) -> Int { push(v, []) }
    func constant(_ v: Double) -> Int { push(v, []) }

    func add(_ a: Int, _ b: Int) -> Int { push(values[a] + values[b], [(a, 1), (b, 1)]) }
    func sub(_ a: Int, _ b: Int) -> Int { push(values[a] - values[b], [(a, 1), (b, -1)]) }
    func mul(_ a: Int, _ b: Int) -> Int { push(values[a] * values[b], [(a, values[b]), (b, values[a])]) }
    func scale(_ a: Int, _ c: Double) -> Int { push(values[a] * c, [(a, c)]) }
    func shift(_ a: Int, _ c: Double) -> Int { push(values[a] + c, [(a, 1)]) }
    func sigmoid(_ a: Int) -> Int {
        let s = 1 / (1 + Foundation.exp(-values[a]))
        return push(s, [(a, s * (1 - s))])
    }
    /// Same value, no gradient (`.detach()`).
    func detached(_ a: Int) -> Int { push(values[a], []) }

    /// Heaviside of u with a surrogate gradient: ∂/∂u = g′(u; α), ∂/∂α = ∂g/∂α.
    func spike(_ u: Int, alpha: Int, kind: Surrogate.Kind, strict: Bool = false) -> Int {
        let x = values[u], a = values[alpha]
        let fired = strict ? x > 0 : x >= 0
        return push(fired ? 1 : 0, [(u, Self.derivative(kind, a, x)), (alpha, Self.alphaDerivative(kind, a, x))])
    }

    /// ∂(Σ seed·value)/∂(every variable).
    func gradients(_ seeds: [(Int, Double)]) -> [Double] {
        var g = [Double](repeating: 0, count: values.count)
        for (i, s) in seeds { g[i] += s }
        for i in stride(from: values.count - 1, through: 0, by: -1) where g[i] != 0 {
            for (p, d) in parents[i] { g[p] += g[i] * d }
        }
        return g
    }

    private func push(_ v: Double, _ p: [(Int, Double)]) -> Int {
        values.append(v)
        parents.append(p)
        return values.count - 1
    }

    /// g′(x; α) in Double, written from the table in baselines.md (independent of Surrogate.swift).
    static func derivative(_ kind: Surrogate.Kind, _ alpha: Double, _ x: Double) -> Double {
        switch kind {
        case .sigmoid:
            let s = 1 / (1 + Foundation.exp(-alpha * x))
            return alpha * s * (1 - s)
        case .atan:
            let z = Double.pi / 2 * alpha * x
            return alpha / 2 / (1 + z * z)
        case .rectangle:
            return abs(x) < alpha / 2 ? 1 / alpha : 0
        case .triangle:
            return max(0, (1 - abs(x) / alpha) / alpha)
        }
    }

    /// ∂g(x; α)/∂α in Double.
    static func alphaDerivative(_ kind: Surrogate.Kind, _ alpha: Double, _ x: Double) -> Double {
        switch kind {
        case .sigmoid:
            let s = 1 / (1 + Foundation.exp(-alpha * x))
            return x * s * (1 - s)
        case .atan:
            let z = Double.pi / 2 * alpha * x
            return x / 2 / (1 + z * z)
        case .rectangle:
            return abs(x) < alpha / 2 ? -x / (alpha * alpha) : 0
        case .triangle:
            guard abs(x) < alpha else { return 0 }
            return x < 0 ? -(1 + x / alpha) * x / (alpha * alpha) : -(1 - x / alpha) * x / (alpha * alpha)
        }
    }
}

/// Which charge–fire–reset neuron a reference run simulates.
struct ReferenceNeuron: CustomStringConvertible {
    enum Kind: String { case integrate = "IF", fixedLeak = "LIF", learnedLeak = "PLIF" }
    var kind: Kind
    var tau: Double = 2       // LIF
    var w: Double = 0         // PLIF: 1/τ = sigmoid(w)
    var threshold: Double = 1
    var vReset: Double? = 0
    var decayInput = true
    var detachReset = false
    var surrogate: Surrogate.Kind = .sigmoid
    var alpha: Double = 4

    var description: String {
        "\(kind.rawValue) τ=\(tau) w=\(w) vth=\(threshold) vReset=\(vReset.map { "\($0)" } ?? "soft") decayInput=\(decayInput) detach=\(detachReset) \(surrogate)(α=\(alpha))"
    }

    /// Everything the reference computes for L = Σ gS·S + Σ gV·V over x = [T][M].
    struct Result {
        var spikes: [Float], membrane: [Double]
        var gradX: [Double], gradV0: [Double], gradW: Double, gradAlpha: Double
    }

    func run(x: [Float], v0: [Float], gradSpikes: [Float], gradMembrane: [Float], steps: Int) -> Result {
        let width = v0.count
        let tape = LIFReferenceTape()
        let alphaVar = tape.leaf(alpha), wVar = tape.leaf(w)
        let q = tape.sigmoid(wVar)
        let rest = vReset ?? 0
        var v = v0.map { tape.leaf(Double($0)) }
        let v0Vars = v
        var xVars = [Int](), sVars = [Int](), vVars = [Int]()
        for t in 0..<steps {
            for m in 0..<width {
                let xv = tape.leaf(Double(x[t * width + m]))
                xVars.append(xv)
                let h: Int
                switch kind {
                case .integrate:
                    h = tape.add(v[m], xv)
                case .fixedLeak:
                    let leak = tape.shift(v[m], -rest)  // V − V_reset
                    h = decayInput ? tape.add(v[m], tape.scale(tape.sub(xv, leak), 1 / tau))
                                   : tape.add(tape.sub(v[m], tape.scale(leak, 1 / tau)), xv)
                case .learnedLeak:
                    let leak = tape.shift(v[m], -rest)
                    h = decayInput ? tape.add(v[m], tape.mul(tape.sub(xv, leak), q))
                                   : tape.add(tape.sub(v[m], tape.mul(leak, q)), xv)
                }
                let s = tape.spike(tape.shift(h, -threshold), alpha: alphaVar, kind: surrogate)
                let sr = detachReset ? tape.detached(s) : s
                if let vReset {
                    // V = S·V_reset + (1 − S)·H
                    let oneMinus = tape.shift(tape.scale(sr, -1), 1)
                    v[m] = tape.add(tape.scale(sr, vReset), tape.mul(oneMinus, h))
                } else {
                    v[m] = tape.sub(h, tape.scale(sr, threshold))
                }
                sVars.append(s)
                vVars.append(v[m])
            }
        }
        var seeds = [(Int, Double)]()
        for i in 0..<sVars.count {
            seeds.append((sVars[i], Double(gradSpikes[i])))
            seeds.append((vVars[i], Double(gradMembrane[i])))
        }
        let g = tape.gradients(seeds)
        return Result(spikes: sVars.map { Float(tape.values[$0]) }, membrane: vVars.map { tape.values[$0] },
                      gradX: xVars.map { g[$0] }, gradV0: v0Vars.map { g[$0] }, gradW: g[wVar], gradAlpha: g[alphaVar])
    }
}

/// Σᵢ ⟨aᵢ, wᵢ⟩ as a one-element tensor, recorded for autograd (a test-only loss, so the
/// neuron tests do not depend on element-wise ops written elsewhere).
func lifTestWeightedSum(_ pairs: [(Tensor, [Float])]) -> Tensor {
    var total = 0.0
    for (a, w) in pairs {
        precondition(a.count == w.count)
        for i in 0..<a.count { total += Double(a.floats[i]) * Double(w[i]) }
    }
    let out = Tensor([Float(total)], shape: [1])
    return Tensor.record("weightedSum", output: out, inputs: pairs.map(\.0)) { g in
        pairs.map { a, w in Tensor(w.map { $0 * g.floats[0] }, shape: a.shape) }
    }
}

/// Deterministic normal samples for tests.
func lifTestNormals(_ count: Int, mean: Float = 0, std: Float = 1, seed: UInt64) -> [Float] {
    var rng = PhiloxGenerator(seed: seed, stream: 11)
    return (0..<count).map { _ in mean + std * rng.nextNormal() }
}
