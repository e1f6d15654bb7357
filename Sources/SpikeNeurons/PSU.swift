import Foundation
import SpikeTensor

// The Parallel Spiking Unit family (Li et al., IJCNN 2024; `shared/papers/psu.md`, authors'
// BrainCog code). All T membrane potentials come from T×T time-mixing products:
//
//   PSU   V = A·X + V_th·R·σ(A·X)
//   IPSU  V = (W ⊙ M)·X + b·1ᵀ + R·X            (`ipsuReset: .linear`, as shipped)
//         V = G + R·σ(G), G = (W ⊙ M)·X + b·1ᵀ   (`ipsuReset: .sigmoid`, the code's PPSU)
//   RPSU  V = A·X + R·σ((W ⊙ M)·X + b·1ᵀ)
//
// and S = Θ(V − V_th) with a strict comparison (V > V_th fires), as BrainCog's atan surrogate
// (`inputs.gt(0.)`). A[i,j] = (1/τ)^(i−j+1) for i ≥ j and R[i,j] = −(1/τ)^(i−j) for i > j, exactly
// the code's `generate_matrix(T, tau)`; they are a reset-free LIF only at τ = 2 (the only τ the
// paper uses). M is the causal lower-triangular mask including the diagonal.
//
// The public functions run fused kernels that save nothing for backward (they recompute a tile's
// potentials from X, which the graph holds anyway): `PSUKernel` (recurrences) for PSU and
// `LearnedPSUKernel` (hand-written triangular products over neuron tiles) for IPSU and RPSU.
// The `*ByTimeMixing` forms below are the products as the paper writes them (GEMMs over [T, M]),
// kept as the references the kernels are tested against; they save the surrogate's input
// V − V_th (one float per element) and recompute a pre-activation with one GEMM from X.

/// Which reset term IPSU adds: R·X (the authors' shipped IPSU) or R·σ(G) (their PPSU).
public enum IPSUReset: String, Sendable, CaseIterable, Codable {
    case linear, sigmoid
}

/// The fixed PSU matrices A (leaky integration) and R (decayed reset) for T steps and leak τ.
public struct PSUMatrices: Sendable {
    /// Number of time steps.
    public let timeSteps: Int
    /// A[i,j] = (1/τ)^(i−j+1) for i ≥ j, else 0; row-major T×T.
    public let integration: [Float]
    /// R[i,j] = −(1/τ)^(i−j) for i > j, else 0; row-major T×T.
    public let reset: [Float]

    /// Builds A and R (use `cached(timeSteps:tau:)` to share them between calls).
    public init(timeSteps: Int, tau: Float) {
        precondition(timeSteps >= 1, "PSU needs at least one time step, got \(timeSteps)")
        precondition(tau > 0, "PSU tau must be positive, got \(tau)")
        let t = timeSteps, decay = 1 / Double(tau)
        var a = [Float](repeating: 0, count: t * t), r = [Float](repeating: 0, count: t * t)
        for i in 0..<t {
            for j in 0...i {
                a[i * t + j] = Float(Foundation.pow(decay, Double(i - j + 1)))
                if i > j { r[i * t + j] = -Float(Foundation.pow(decay, Double(i - j))) }
            }
        }
        self.timeSteps = t
        integration = a
        reset = r
    }

    /// The matrices for (T, τ), built once per pair and shared (immutable, thread-safe).
    public static func cached(timeSteps: Int, tau: Float) -> PSUMatrices {
        psuMatrixCache.matrices(timeSteps: timeSteps, tau: tau)
    }
}

/// Memo of `PSUMatrices` per (T, τ): constant values, so sharing them is not observable state.
private final class PSUMatrixCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [Key: PSUMatrices] = [:]
    private struct Key: Hashable { let timeSteps: Int, tauBits: UInt32 }

    func matrices(timeSteps: Int, tau: Float) -> PSUMatrices {
        let key = Key(timeSteps: timeSteps, tauBits: tau.bitPattern)
        lock.lock()
        defer { lock.unlock() }
        if let hit = entries[key] { return hit }
        let made = PSUMatrices(timeSteps: timeSteps, tau: tau)
        entries[key] = made
        return made
    }
}

private let psuMatrixCache = PSUMatrixCache()

/// PSU: V = A·X + V_th·R·σ(A·X), S = Θ(V − V_th) (strict); X is time-major [T, ...].
///
/// `alpha` (one element) is the surrogate's α: pass it with `requiresGrad` for the per-layer
/// learnable α of the paper (`makePSUAlpha()`). Returns the spikes and the membrane V (the
/// potential compared with the threshold), both shaped like X.
///
/// Runs as one fused pass of recurrences (`PSUKernel`), not T×T products; `psuByTimeMixing` is
/// the product form it is tested against.
public func psu(_ x: Tensor, alpha: Tensor, threshold: Float = 1, tau: Float = 2,
                surrogate: Surrogate.Kind = .atan,
                recorder: FiringRateRecorder? = nil) -> (spikes: Tensor, membrane: Tensor) {
    checkPSUInputs("psu", x, alpha: alpha)
    let (spikes, membrane) = runPSU(x, alpha: alpha, threshold: threshold, tau: tau, surrogate: surrogate,
                                    keepMembrane: true, recorder: recorder)
    return (spikes, membrane!)
}

/// The spikes of `psu` alone (bit for bit, same gradients); V is never written out, as a
/// network layer needs.
public func psuSpikes(_ x: Tensor, alpha: Tensor, threshold: Float = 1, tau: Float = 2,
                      surrogate: Surrogate.Kind = .atan, recorder: FiringRateRecorder? = nil) -> Tensor {
    checkPSUInputs("psuSpikes", x, alpha: alpha)
    return runPSU(x, alpha: alpha, threshold: threshold, tau: tau, surrogate: surrogate, keepMembrane: false,
                  recorder: recorder).spikes
}

/// PSU as the paper writes it, with 3–4 `cblas_sgemm` calls over [T, M] and element-wise passes;
/// the reference the fused `psu` is tested against (same values up to the order of additions).
func psuByTimeMixing(_ x: Tensor, alpha: Tensor, threshold: Float = 1, tau: Float = 2,
                     surrogate: Surrogate.Kind = .atan,
                     recorder: FiringRateRecorder? = nil) -> (spikes: Tensor, membrane: Tensor) {
    let (t, m) = TimeMixing.extent(of: x.shape, "psu")
    checkPSUInputs("psu", x, alpha: alpha)
    let mats = PSUMatrices.cached(timeSteps: t, tau: tau)
    let xp = x.floats.baseAddress!
    let (v, u) = (Tensor(shape: x.shape, uninitialized: true), Tensor(shape: x.shape, uninitialized: true))
    let vp = v.floats.baseAddress!, up = u.floats.baseAddress!
    // V = H + V_th·R·σ(H) with H = A·X; σ(H) lives in u until u becomes V − V_th.
    TimeMixing.multiply(mats.integration, xp, into: vp, timeSteps: t, columns: m)
    psuSigmoid(vp, into: up, count: t * m)
    TimeMixing.multiply(mats.reset, up, into: vp, timeSteps: t, columns: m, scale: threshold, accumulate: true)
    let spikes = psuFire(v, surrogateInput: u, threshold: threshold, recorder: recorder)

    return recordPSU("psu", x, alpha: alpha, parameters: [], spikes: spikes, membrane: v,
                     surrogateInput: u, surrogate: surrogate) { gv in
        // dH = gV + V_th·(Rᵀ·gV) ⊙ σ′(H) (into gV's buffer); dX = Aᵀ·dH. H is recomputed.
        guard x.requiresGrad else { return [nil] }
        let dx = Tensor(shape: x.shape, uninitialized: true)
        let h = dx.floats.baseAddress!, q = psuScratch(t, m)
        defer { q.deallocate() }
        TimeMixing.multiply(mats.integration, xp, into: h, timeSteps: t, columns: m)
        TimeMixing.multiply(mats.reset, gv, into: q, timeSteps: t, columns: m, transposed: true, scale: threshold)
        psuAddSigmoidSlope(into: gv, q, slopeOf: h, count: t * m)
        TimeMixing.multiply(mats.integration, gv, into: h, timeSteps: t, columns: m, transposed: true)
        return [dx]
    }
}

/// IPSU: V = (W ⊙ M)·X + b + R·X (`.linear`) or G + R·σ(G) with G = (W ⊙ M)·X + b (`.sigmoid`);
/// S = Θ(V − V_th) (strict). W [T, T], b [T] and α (one element) are learnable. Returns the
/// spikes and the membrane V, both shaped like X.
///
/// Runs as one fused pass over tiles of neurons (`LearnedPSUKernel`), not T×T GEMMs;
/// `ipsuByTimeMixing` is the product form it is tested against.
public func ipsu(_ x: Tensor, weight: Tensor, bias: Tensor, alpha: Tensor, ipsuReset reset: IPSUReset = .linear,
                 threshold: Float = 1, tau: Float = 2, surrogate: Surrogate.Kind = .atan,
                 recorder: FiringRateRecorder? = nil) -> (spikes: Tensor, membrane: Tensor) {
    checkPSUInputs("ipsu", x, alpha: alpha, weight: weight, bias: bias)
    let (spikes, membrane) = runLearnedPSU("ipsu", reset == .linear ? .ipsuLinear : .ipsuSigmoid, x, weight: weight,
                                           bias: bias, alpha: alpha, threshold: threshold, tau: tau, surrogate: surrogate,
                                           keepMembrane: true, recorder: recorder)
    return (spikes, membrane!)
}

/// The spikes of `ipsu` alone (bit for bit, same gradients); V is never written out, as a
/// network layer needs.
public func ipsuSpikes(_ x: Tensor, weight: Tensor, bias: Tensor, alpha: Tensor, ipsuReset reset: IPSUReset = .linear,
                       threshold: Float = 1, tau: Float = 2, surrogate: Surrogate.Kind = .atan,
                       recorder: FiringRateRecorder? = nil) -> Tensor {
    checkPSUInputs("ipsuSpikes", x, alpha: alpha, weight: weight, bias: bias)
    return runLearnedPSU("ipsu", reset == .linear ? .ipsuLinear : .ipsuSigmoid, x, weight: weight, bias: bias,
                         alpha: alpha, threshold: threshold, tau: tau, surrogate: surrogate, keepMembrane: false,
                         recorder: recorder).spikes
}

/// IPSU as the paper writes it, with T×T `cblas_sgemm` calls over [T, M] and element-wise
/// passes; the reference the fused `ipsu` is tested against (same values up to rounding).
func ipsuByTimeMixing(_ x: Tensor, weight: Tensor, bias: Tensor, alpha: Tensor, ipsuReset reset: IPSUReset = .linear,
                      threshold: Float = 1, tau: Float = 2, surrogate: Surrogate.Kind = .atan,
                      recorder: FiringRateRecorder? = nil) -> (spikes: Tensor, membrane: Tensor) {
    let (t, m) = TimeMixing.extent(of: x.shape, "ipsu")
    checkPSUInputs("ipsu", x, alpha: alpha, weight: weight, bias: bias)
    let mats = PSUMatrices.cached(timeSteps: t, tau: tau)
    let masked = causallyMasked(weight.array, timeSteps: t)
    let combined = zip(masked, mats.reset).map { $0 + $1 }  // W ⊙ M + R, for the linear reset
    let b = bias.array
    let xp = x.floats.baseAddress!
    let (v, u) = (Tensor(shape: x.shape, uninitialized: true), Tensor(shape: x.shape, uninitialized: true))
    let vp = v.floats.baseAddress!, up = u.floats.baseAddress!
    TimeMixing.fillRows(vp, b, columns: m)
    switch reset {
    case .linear:
        TimeMixing.multiply(combined, xp, into: vp, timeSteps: t, columns: m, accumulate: true)
    case .sigmoid:
        TimeMixing.multiply(masked, xp, into: vp, timeSteps: t, columns: m, accumulate: true)
        psuSigmoid(vp, into: up, count: t * m)
        TimeMixing.multiply(mats.reset, up, into: vp, timeSteps: t, columns: m, accumulate: true)
    }
    let spikes = psuFire(v, surrogateInput: u, threshold: threshold, recorder: recorder)

    return recordPSU("ipsu", x, alpha: alpha, parameters: [weight, bias], spikes: spikes, membrane: v,
                     surrogateInput: u, surrogate: surrogate) { gv in
        // dG = gV (linear) or gV + (Rᵀ·gV) ⊙ σ′(G) (sigmoid, into gV's buffer);
        // dX = (W⊙M + R)ᵀ·gV or (W⊙M)ᵀ·dG; dW = (dG·Xᵀ) ⊙ M; db = Σ_m dG.
        let needsScratch = reset == .sigmoid || x.requiresGrad
        let dx = needsScratch ? Tensor(shape: x.shape, uninitialized: true) : nil
        if reset == .sigmoid, let g = dx?.floats.baseAddress {
            let q = psuScratch(t, m)
            TimeMixing.fillRows(g, b, columns: m)
            TimeMixing.multiply(masked, xp, into: g, timeSteps: t, columns: m, accumulate: true)
            TimeMixing.multiply(mats.reset, gv, into: q, timeSteps: t, columns: m, transposed: true)
            psuAddSigmoidSlope(into: gv, q, slopeOf: g, count: t * m)
            q.deallocate()
        }
        if x.requiresGrad, let out = dx?.floats.baseAddress {
            TimeMixing.multiply(reset == .linear ? combined : masked, gv, into: out, timeSteps: t, columns: m,
                                transposed: true)
        }
        return [x.requiresGrad ? dx : nil]
            + psuParameterGradients(gv, x, weight: weight, bias: bias, timeSteps: t, columns: m)
    }
}

/// RPSU: V = A·X + R·σ((W ⊙ M)·X + b), S = Θ(V − V_th) (strict). W [T, T], b [T] and α learnable.
/// Returns the spikes and the membrane V, both shaped like X.
///
/// Runs as one fused pass over tiles of neurons (`LearnedPSUKernel`), not T×T GEMMs;
/// `rpsuByTimeMixing` is the product form it is tested against.
public func rpsu(_ x: Tensor, weight: Tensor, bias: Tensor, alpha: Tensor, threshold: Float = 1,
                 tau: Float = 2, surrogate: Surrogate.Kind = .atan,
                 recorder: FiringRateRecorder? = nil) -> (spikes: Tensor, membrane: Tensor) {
    checkPSUInputs("rpsu", x, alpha: alpha, weight: weight, bias: bias)
    let (spikes, membrane) = runLearnedPSU("rpsu", .rpsu, x, weight: weight, bias: bias, alpha: alpha,
                                           threshold: threshold, tau: tau, surrogate: surrogate, keepMembrane: true,
                                           recorder: recorder)
    return (spikes, membrane!)
}

/// The spikes of `rpsu` alone (bit for bit, same gradients); V is never written out.
public func rpsuSpikes(_ x: Tensor, weight: Tensor, bias: Tensor, alpha: Tensor, threshold: Float = 1,
                       tau: Float = 2, surrogate: Surrogate.Kind = .atan,
                       recorder: FiringRateRecorder? = nil) -> Tensor {
    checkPSUInputs("rpsuSpikes", x, alpha: alpha, weight: weight, bias: bias)
    return runLearnedPSU("rpsu", .rpsu, x, weight: weight, bias: bias, alpha: alpha, threshold: threshold, tau: tau,
                         surrogate: surrogate, keepMembrane: false, recorder: recorder).spikes
}

/// RPSU as the paper writes it, with T×T `cblas_sgemm` calls; the reference the fused `rpsu`
/// is tested against (same values up to rounding).
func rpsuByTimeMixing(_ x: Tensor, weight: Tensor, bias: Tensor, alpha: Tensor, threshold: Float = 1,
                      tau: Float = 2, surrogate: Surrogate.Kind = .atan,
                      recorder: FiringRateRecorder? = nil) -> (spikes: Tensor, membrane: Tensor) {
    let (t, m) = TimeMixing.extent(of: x.shape, "rpsu")
    checkPSUInputs("rpsu", x, alpha: alpha, weight: weight, bias: bias)
    let mats = PSUMatrices.cached(timeSteps: t, tau: tau)
    let masked = causallyMasked(weight.array, timeSteps: t)
    let b = bias.array
    let xp = x.floats.baseAddress!
    let (v, u) = (Tensor(shape: x.shape, uninitialized: true), Tensor(shape: x.shape, uninitialized: true))
    let vp = v.floats.baseAddress!, up = u.floats.baseAddress!
    // σ(G) lives in u until u becomes V − V_th.
    TimeMixing.fillRows(up, b, columns: m)
    TimeMixing.multiply(masked, xp, into: up, timeSteps: t, columns: m, accumulate: true)
    psuSigmoid(up, into: up, count: t * m)
    TimeMixing.multiply(mats.integration, xp, into: vp, timeSteps: t, columns: m)
    TimeMixing.multiply(mats.reset, up, into: vp, timeSteps: t, columns: m, accumulate: true)
    let spikes = psuFire(v, surrogateInput: u, threshold: threshold, recorder: recorder)

    return recordPSU("rpsu", x, alpha: alpha, parameters: [weight, bias], spikes: spikes, membrane: v,
                     surrogateInput: u, surrogate: surrogate) { gv in
        // dG = (Rᵀ·gV) ⊙ σ′(G); dX = Aᵀ·gV + (W⊙M)ᵀ·dG; dW = (dG·Xᵀ) ⊙ M; db = Σ_m dG.
        // G is recomputed into dX's buffer, which is overwritten once dG is formed.
        let dx = Tensor(shape: x.shape, uninitialized: true)
        let g = dx.floats.baseAddress!, dg = psuScratch(t, m)
        defer { dg.deallocate() }
        TimeMixing.fillRows(g, b, columns: m)
        TimeMixing.multiply(masked, xp, into: g, timeSteps: t, columns: m, accumulate: true)
        TimeMixing.multiply(mats.reset, gv, into: dg, timeSteps: t, columns: m, transposed: true)
        psuScaleBySigmoidSlope(dg, slopeOf: g, count: t * m)
        if x.requiresGrad {
            TimeMixing.multiply(mats.integration, gv, into: g, timeSteps: t, columns: m, transposed: true)
            TimeMixing.multiply(masked, dg, into: g, timeSteps: t, columns: m, transposed: true, accumulate: true)
        }
        return [x.requiresGrad ? dx : nil]
            + psuParameterGradients(dg, x, weight: weight, bias: bias, timeSteps: t, columns: m)
    }
}

/// A learnable per-layer surrogate α for the PSU family (one element, initialised to 2).
public func makePSUAlpha(_ initial: Float = 2, learnable: Bool = true) -> Tensor {
    precondition(initial > 0, "surrogate alpha must be positive, got \(initial)")
    return Tensor([initial], shape: [1], requiresGrad: learnable)
}

/// IPSU/RPSU weight and bias as the authors initialise them: W [T, T] Kaiming-normal with
/// fan-out T and ReLU gain (std √(2/T)), b [T] = 0. Both require gradients.
public func makePSUParameters(timeSteps: Int, rng: inout PhiloxGenerator) -> (weight: Tensor, bias: Tensor) {
    precondition(timeSteps >= 1, "PSU needs at least one time step, got \(timeSteps)")
    let weight = Tensor.kaimingNormal([timeSteps, timeSteps], mode: .fanOut, rng: &rng, requiresGrad: true)
    return (weight, Tensor.zeros([timeSteps], requiresGrad: true))
}

// MARK: - Shared pieces

private func checkPSUInputs(_ name: String, _ x: Tensor, alpha: Tensor, weight: Tensor? = nil, bias: Tensor? = nil) {
    let t = x.shape[0]
    precondition(x.dtype == .float32 && alpha.dtype == .float32, "\(name): float32 tensors required")
    precondition(alpha.count == 1, "\(name): alpha must be one value (per layer), got shape \(alpha.shape)")
    precondition(alpha.item > 0, "\(name): surrogate alpha must be positive, got \(alpha.item)")
    if let weight {
        precondition(weight.dtype == .float32 && weight.shape == [t, t],
                     "\(name): weight must be float32 [T, T] = [\(t), \(t)] for input \(x.shape), got \(weight.shape)")
    }
    if let bias {
        precondition(bias.dtype == .float32 && bias.count == t,
                     "\(name): bias must hold T = \(t) values, got shape \(bias.shape)")
    }
}

/// W ⊙ M with M the lower-triangular causal mask (diagonal included).
private func causallyMasked(_ w: [Float], timeSteps t: Int) -> [Float] {
    var out = w
    for i in 0..<t { for j in (i + 1)..<max(i + 1, t) { out[i * t + j] = 0 } }
    return out
}

private func psuScratch(_ t: Int, _ m: Int) -> UnsafeMutablePointer<Float> {
    UnsafeMutablePointer<Float>.allocate(capacity: max(1, t * m))
}

/// out = σ(x) element-wise (in place allowed), eight lanes at a time: σ = 1/(1 + e) for x ≥ 0 and
/// e/(1 + e) below, e = exp(−|x|) ≤ 1 (`Lanes8.expNonPositive`, within 2 ulp of `exp`), so
/// nothing overflows and no scalar `exp` call is made per element.
private func psuSigmoid(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int) {
    parallelChunks(count, minChunk: 1 << 14) { range in
        var i = range.lowerBound
        while i < range.upperBound {
            let n = min(8, range.upperBound - i)
            let v = Lanes8.load(x + i, n)
            let e = Lanes8.expNonPositive((-v).replacing(with: v, where: v .< 0))
            let d = 1 + e
            Lanes8.store((1 / d).replacing(with: e / d, where: v .< 0), out + i, n)
            i += 8
        }
    }
}

/// g ← g + q ⊙ σ′(h), σ′ = σ(1 − σ) (`Lanes8.logisticSlope`).
private func psuAddSigmoidSlope(into g: UnsafeMutablePointer<Float>, _ q: UnsafePointer<Float>,
                                slopeOf h: UnsafePointer<Float>, count: Int) {
    parallelChunks(count, minChunk: 1 << 14) { range in
        var i = range.lowerBound
        while i < range.upperBound {
            let n = min(8, range.upperBound - i)
            let slope = Lanes8.logisticSlope(Lanes8.load(h + i, n))
            Lanes8.store(Lanes8.load(g + i, n) + Lanes8.load(q + i, n) * slope, g + i, n)
            i += 8
        }
    }
}

/// q ← q ⊙ σ′(h).
private func psuScaleBySigmoidSlope(_ q: UnsafeMutablePointer<Float>, slopeOf h: UnsafePointer<Float>, count: Int) {
    parallelChunks(count, minChunk: 1 << 14) { range in
        var i = range.lowerBound
        while i < range.upperBound {
            let n = min(8, range.upperBound - i)
            Lanes8.store(Lanes8.load(q + i, n) * Lanes8.logisticSlope(Lanes8.load(h + i, n)), q + i, n)
            i += 8
        }
    }
}

/// Spikes Θ(V − V_th) (strict); writes the surrogate input V − V_th into `surrogateInput`.
private func psuFire(_ v: Tensor, surrogateInput u: Tensor, threshold: Float,
                     recorder: FiringRateRecorder?) -> Tensor {
    let spikes = Tensor(shape: v.shape, uninitialized: true)
    let vp = v.floats.baseAddress!, sp = spikes.floats.baseAddress!, up = u.floats.baseAddress!
    parallelChunks(v.count, minChunk: 1 << 15) { range in
        for i in range {
            let d = vp[i] - threshold
            up[i] = d
            sp[i] = d > 0 ? 1 : 0
        }
    }
    recorder?.record(spikes: spikes)
    return spikes
}

/// dW = (dG·Xᵀ) ⊙ M and db = Σ_m dG, each only when needed.
private func psuParameterGradients(_ dg: UnsafePointer<Float>, _ x: Tensor, weight: Tensor, bias: Tensor,
                                   timeSteps t: Int, columns m: Int) -> [Tensor?] {
    var dw: Tensor?, db: Tensor?
    if weight.requiresGrad {
        let out = Tensor(shape: [t, t], uninitialized: true)
        TimeMixing.matrixGradient(dg, x.floats.baseAddress!, into: out.floats.baseAddress!, timeSteps: t, columns: m)
        let op = out.floats.baseAddress!
        for i in 0..<t { for j in (i + 1)..<max(i + 1, t) { op[i * t + j] = 0 } }
        dw = out
    }
    if bias.requiresGrad {
        db = Tensor(TimeMixing.rowSums(dg, timeSteps: t, columns: m), shape: bias.shape)
    }
    return [dw, db]
}

/// Records a PSU-family op with outputs (spikes, membrane) and inputs [x] + parameters + [α].
///
/// Backward first forms gV_total = gV + gS ⊙ g′(V − V_th; α) and dα = Σ gS·∂g/∂α, then hands
/// gV_total to `membraneBackward` (which may overwrite it) for the gradients of [x] + parameters.
private func recordPSU(
    _ name: String, _ x: Tensor, alpha: Tensor, parameters: [Tensor], spikes: Tensor, membrane: Tensor,
    surrogateInput: Tensor, surrogate kind: Surrogate.Kind,
    membraneBackward: @escaping (UnsafeMutablePointer<Float>) -> [Tensor?]
) -> (spikes: Tensor, membrane: Tensor) {
    let inputs = [x] + parameters + [alpha]
    let a = alpha.item
    let count = spikes.count
    let (t, m) = TimeMixing.extent(of: x.shape, name)
    let outputs = Tensor.record(name, outputs: [spikes, membrane], inputs: inputs) { grads in
        let gS = grads[0], gV = grads[1]
        let total = Tensor(shape: [t, m], uninitialized: true)
        let tp = total.floats.baseAddress!
        let up = UnsafePointer(surrogateInput.floats.baseAddress!)
        let gvp = gV.map { UnsafePointer($0.floats.baseAddress!) }
        var dAlpha = 0.0
        if let gS {
            let gsp = UnsafePointer(gS.floats.baseAddress!)
            let wantAlpha = alpha.requiresGrad
            // Chunks over elements; α partials combined in chunk order (deterministic).
            // Eight lanes at a time (`Lanes8`: atan, rectangle, triangle give `Surrogate`'s bits;
            // sigmoid within 1e-6), instead of a scalar call per element.
            let partials = TimeMixing.mapChunks(count, minChunk: 1 << 14, initial: 0.0) { range in
                var acc = SIMD8<Double>()
                var i = range.lowerBound
                while i < range.upperBound {
                    let n = min(8, range.upperBound - i)
                    let u = Lanes8.load(up + i, n), g = Lanes8.load(gsp + i, n)
                    let direct = gvp.map { Lanes8.load($0 + i, n) } ?? SIMD8()
                    Lanes8.store(direct + g * Lanes8.surrogateDerivative(kind, a, u), tp + i, n)
                    // Padded lanes have g = 0 and add nothing.
                    if wantAlpha { acc += SIMD8<Double>(g * Lanes8.surrogateAlphaDerivative(kind, a, u)) }
                    i += 8
                }
                return acc.sum()
            }
            dAlpha = partials.reduce(0, +)
        } else if let gvp {
            tp.update(from: gvp, count: count)
        } else {
            tp.update(repeating: 0, count: count)
        }
        let rest = membraneBackward(tp)
        let dAlphaTensor = alpha.requiresGrad ? Tensor([Float(dAlpha)], shape: alpha.shape) : nil
        return rest + [dAlphaTensor]
    }
    return (outputs[0], outputs[1])
}
