import Foundation
import SpikeTensor

// SpikePack (Shen et al., ICCV 2025; `shared/papers/spikepack.md`): the T binary spikes of a
// neuron are the base-τ digits of one packed value z, so a layer needs one potential v per neuron
// whatever T is.
//
// Serial definition (the hardware form, and the reference for everything here):
//   r = v (floor) or v + θ/2 (nearest, computed in Float); for t = 0…T−1 (largest first):
//   θ_t = θ·τ^(T−1−t); s_t = [r ≥ θ_t]; r ← r − θ_t·s_t.       z = Σ_t s_t·τ^(T−1−t).
// Parallel form: for τ = 2 this is exactly z = clamp(⌊r/θ⌋, 0, 2^T − 1) — the subtractions of
// θ·2^k are exact (Sterbenz) so the serial form computes the true floor of the real r/θ, and the
// parallel form takes the floor of a Double quotient, which is that same true floor (see
// `binaryCodes`). For τ ≠ 2 the levels are not uniform; the parallel form runs the same digit
// recurrence per element, over all M at once, so it equals the serial form by construction and
// still saves O(1) memory in T.
//
// Gradients (no BPTT): with q′ = 1 inside the clamp range (0 ≤ unclamped code ≤ z_max) and 0
// outside (`.clipped`; `.passThrough` uses q′ = 1 everywhere),
//   packed z:          ∂z/∂v = q′/θ,   ∂z/∂θ = −q′·v/θ²
//   dequantised θ·z:   ∂(θz)/∂v = q′,  ∂(θz)/∂θ = z − q′·v/θ   (LSQ's step-size gradient,
//                      without LSQ's 1/√(N·z_max) scale, which belongs to the optimiser set-up).

/// How the packed code rounds v/θ: down (the paper's floor) or to the nearest level (half up).
public enum SpikePackRounding: String, Sendable, CaseIterable, Codable {
    case floor, nearest
}

/// Where θ comes from: fixed, learnt with the network, or calibrated from activations.
public enum SpikePackThresholdMode: String, Sendable, CaseIterable, Codable {
    case fixed, learnable, calibrated
}

/// The straight-through estimator: zero gradient outside the clamp range, or pass it everywhere.
public enum SpikePackGradient: String, Sendable, CaseIterable, Codable {
    case clipped, passThrough
}

/// Which value the parallel form returns: θ·z (for the next layer) or the packed code z.
public enum SpikePackOutput: String, Sendable, CaseIterable, Codable {
    case dequantized, packed
}

/// A SpikePack neuron's settings: base τ, bits T, threshold mode, rounding and gradient rule.
public struct SpikePackConfiguration: Sendable, Hashable {
    /// Number of time steps packed into one value (T).
    public var bits: Int
    /// The base τ of the digit weights τ^(T−1−t) (2 gives a uniform T-bit quantiser).
    public var base: Float
    /// How θ is obtained (the op itself only reads the threshold tensor).
    public var threshold: SpikePackThresholdMode
    /// Rounding of the parallel form (and the matching input shift of the serial form).
    public var rounding: SpikePackRounding
    /// Straight-through estimator outside the clamp range.
    public var gradient: SpikePackGradient

    /// A configuration; defaults: base 2, learnable θ, floor rounding, clipped STE.
    public init(bits: Int, base: Float = 2, threshold: SpikePackThresholdMode = .learnable,
                rounding: SpikePackRounding = .floor, gradient: SpikePackGradient = .clipped) {
        precondition(bits >= 1 && bits <= 24, "SpikePack bits (T) must be in 1...24, got \(bits)")
        precondition(base >= 1, "SpikePack base τ must be at least 1, got \(base)")
        self.bits = bits
        self.base = base
        self.threshold = threshold
        self.rounding = rounding
        self.gradient = gradient
    }

    /// Weight τ^(T−1−t) of step t (0-based), largest first.
    public func stepWeight(_ t: Int) -> Float {
        Float(Foundation.pow(Double(base), Double(bits - 1 - t)))
    }

    /// The largest packed value, Σ_t τ^(T−1−t) (2^T − 1 for base 2).
    public var maxCode: Float {
        (0..<bits).reduce(Float(0)) { $0 + stepWeight($1) }
    }

    /// A threshold tensor (one element) holding `value`, requiring a gradient when learnable.
    public func makeThreshold(_ value: Float) -> Tensor {
        precondition(value > 0 && value.isFinite, "SpikePack threshold must be positive, got \(value)")
        return Tensor([value], shape: [1], requiresGrad: threshold == .learnable)
    }

    /// The dynamic thresholds θ·τ^(T−1−t), the same Floats the serial and parallel forms use.
    func stepThresholds(_ theta: Float) -> [Float] {
        (0..<bits).map { theta * stepWeight($0) }
    }

    /// The serial form's starting residual for potential v.
    @inline(__always)
    func start(_ v: Float, _ theta: Float) -> Float {
        rounding == .nearest ? v + 0.5 * theta : v
    }
}

// MARK: - Parallel form

/// Parallel SpikePack: θ·z or z for potentials v of any shape, z = the serial form's code;
/// differentiable in v and θ (one-element tensor) by the straight-through rule above.
///
/// Saves only one byte per element (the in-range flag q′) for the v-gradient; the θ-gradient
/// recomputes z from v, which the graph holds anyway. Nothing scales with T.
public func spikePack(_ v: Tensor, threshold: Tensor, configuration c: SpikePackConfiguration,
                      output: SpikePackOutput = .dequantized,
                      recorder: FiringRateRecorder? = nil) -> Tensor {
    precondition(v.dtype == .float32 && threshold.dtype == .float32, "spikePack: float32 tensors required")
    precondition(threshold.count == 1, "spikePack: threshold must be one value, got shape \(threshold.shape)")
    let theta = threshold.item
    precondition(theta > 0 && theta.isFinite, "spikePack: threshold must be positive and finite, got \(theta)")
    let n = v.count
    let out = Tensor(shape: v.shape, uninitialized: true)
    let vp = UnsafePointer(v.floats.baseAddress!), op = out.floats.baseAddress!
    let keepMask = Tensor.shouldRecord([v, threshold]) && v.requiresGrad && c.gradient == .clipped
    let mask = keepMask ? Tensor(shape: v.shape, dtype: .uint8, uninitialized: true) : nil
    let mp = mask?.uint8s.baseAddress
    let scale: Float = output == .dequantized ? theta : 1
    let kernel = SpikePackKernel(c, theta: theta)
    parallelChunks(n, minChunk: 1 << 14) { range in
        kernel.blocks(range, flags: mp) { lo, count, flags in
            kernel.quantize(vp + lo, count: count, scale: scale, codes: op + lo, inRange: flags)
        }
    }
    if let recorder { recorder.record(spikes: spikePackSerialDecode(v, threshold: theta, configuration: c)) }

    return Tensor.record("spikePack", output: out, inputs: [v, threshold]) { g in
        let gp = UnsafePointer(g.floats.baseAddress!)
        var dv: Tensor?, dTheta: Tensor?
        if v.requiresGrad {
            let d = Tensor(shape: v.shape, uninitialized: true)
            let dp = d.floats.baseAddress!
            let factor: Float = output == .dequantized ? 1 : 1 / theta
            let masks = mask.map { UnsafePointer($0.uint8s.baseAddress!) }
            parallelChunks(n, minChunk: 1 << 15) { range in
                if let masks {
                    for i in range { dp[i] = masks[i] != 0 ? gp[i] * factor : 0 }
                } else {
                    for i in range { dp[i] = gp[i] * factor }
                }
            }
            dv = d
        }
        if threshold.requiresGrad {
            // Σ g·(z − q′·v/θ) (dequantised) or Σ g·(−q′·v/θ²) (packed); z recomputed from v.
            let dequantized = output == .dequantized, passAll = c.gradient == .passThrough
            let partials = TimeMixing.mapChunks(n, minChunk: 1 << 14, initial: 0.0) { range in
                var acc = 0.0
                withUnsafeTemporaryAllocation(of: Float.self, capacity: SpikePackKernel.blockSize) { zb in
                    let z = zb.baseAddress!
                    kernel.blocks(range, flags: nil) { lo, count, flags in
                        kernel.quantize(vp + lo, count: count, scale: 1, codes: z, inRange: flags)
                        acc += kernel.thresholdGradient(vp + lo, gp + lo, codes: z, inRange: flags, count: count,
                                                        dequantized: dequantized, passThrough: passAll)
                    }
                }
                return acc
            }
            dTheta = Tensor([Float(partials.reduce(0, +))], shape: threshold.shape)
        }
        return [dv, dTheta]
    }
}

/// The per-element quantiser shared by the parallel form and its backward pass.
struct SpikePackKernel {
    /// Elements per block of the blocked loops (fits the temporaries in L1).
    static let blockSize = 1024
    let configuration: SpikePackConfiguration
    let theta: Float
    let maxCode: Float
    let thresholds: [Float]
    let weights: [Float]

    init(_ c: SpikePackConfiguration, theta: Float) {
        configuration = c
        self.theta = theta
        maxCode = c.maxCode
        thresholds = c.stepThresholds(theta)
        weights = (0..<c.bits).map { c.stepWeight($0) }
    }

    /// Calls `body(start, count, flags)` for consecutive blocks of `range`; `flags` points at
    /// `flags + start` when given, else at a per-call scratch block.
    func blocks(_ range: Range<Int>, flags: UnsafeMutablePointer<UInt8>?,
                _ body: (Int, Int, UnsafeMutablePointer<UInt8>) -> Void) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.blockSize) { scratch in
            var lo = range.lowerBound
            while lo < range.upperBound {
                let count = min(Self.blockSize, range.upperBound - lo)
                body(lo, count, flags.map { $0 + lo } ?? scratch.baseAddress!)
                lo += count
            }
        }
    }

    /// Σ g·∂y/∂θ over one block (y = θ·z or z), overwriting `codes` with the terms.
    func thresholdGradient(_ v: UnsafePointer<Float>, _ g: UnsafePointer<Float>, codes z: UnsafeMutablePointer<Float>,
                           inRange: UnsafePointer<UInt8>, count: Int, dequantized: Bool, passThrough: Bool) -> Double {
        let inverse = 1 / theta, always: Float = passThrough ? 1 : 0
        // Branch-free so the loops vectorise: q′ = max(always, inRange).
        if dequantized {
            for k in 0..<count {
                let slope = Swift.max(always, Float(inRange[k]))
                z[k] = g[k] * (z[k] - slope * v[k] * inverse)
            }
        } else {
            for k in 0..<count {
                let slope = Swift.max(always, Float(inRange[k]))
                z[k] = -g[k] * slope * v[k] * inverse * inverse
            }
        }
        return TimeMixing.sum(z, count: count)
    }

    /// codes[i] = scale·z(v[i]) and inRange[i] = q′ (1 when the clamp is inactive, else 0).
    func quantize(_ v: UnsafePointer<Float>, count: Int, scale: Float, codes: UnsafeMutablePointer<Float>,
                  inRange: UnsafeMutablePointer<UInt8>) {
        if configuration.base == 2 {
            binaryCodes(v, count: count, scale: scale, codes: codes, inRange: inRange)
        } else {
            recurrenceCodes(v, count: count, scale: scale, codes: codes, inRange: inRange)
        }
    }

    /// Base 2: z = clamp(⌊r/θ⌋, 0, 2^T − 1) with the exact floor of the real quotient.
    ///
    /// r and θ are Floats, so r − nθ is a multiple of the smaller of their ulps: a non-integer
    /// r/θ lies at least 2^−25 from every non-zero integer n, and a quotient near 0 keeps its
    /// sign. The Double quotient is off by at most |r/θ|·2^−53, so its floor is the exact floor
    /// wherever the clamp does not decide (|r/θ| < 2^27). A Float quotient is not exact (the
    /// exhaustive test catches it).
    private func binaryCodes(_ v: UnsafePointer<Float>, count: Int, scale: Float,
                             codes: UnsafeMutablePointer<Float>, inRange: UnsafeMutablePointer<UInt8>) {
        let shift: Float = configuration.rounding == .nearest ? 0.5 * theta : 0
        let th = Double(theta), top = Double(maxCode)
        // floor by the 1.5·2^52 rounding trick and one correction: plain compare-and-select
        // arithmetic that vectorises on baseline x86-64 (no SSE4.1 floor, no trapping Int casts).
        let magic = 6_755_399_441_055_744.0
        for i in 0..<count {
            // r = v + θ/2 for nearest, as the serial form (adding 0 for floor changes no code).
            var c = Double(v[i] + shift) / th
            c = c > -2 ? c : -2  // also maps NaN below the range, as the serial form (no spike)
            c = c < top + 2 ? c : top + 2
            let nearest = (c + magic) - magic
            let q = nearest > c ? nearest - 1 : nearest
            inRange[i] = q >= 0 && q <= top ? 1 : 0
            codes[i] = Float(q < 0 ? 0 : (q > top ? top : q)) * scale
        }
    }

    /// Any base: the serial digit recurrence (identical arithmetic to the serial form), run over
    /// the whole block one step at a time so the inner loop vectorises.
    private func recurrenceCodes(_ v: UnsafePointer<Float>, count: Int, scale: Float,
                                 codes: UnsafeMutablePointer<Float>, inRange: UnsafeMutablePointer<UInt8>) {
        let top = maxCode * theta
        withUnsafeTemporaryAllocation(of: Float.self, capacity: count) { residual in
            let r = residual.baseAddress!
            for i in 0..<count {
                r[i] = configuration.start(v[i], theta)
                // Inside the clamp range: not below zero and not past the top level's bin.
                inRange[i] = r[i] >= 0 && r[i] < top + theta ? 1 : 0
                codes[i] = 0
            }
            for t in 0..<thresholds.count {
                let th = thresholds[t], w = weights[t]
                for i in 0..<count {
                    let fire = r[i] >= th
                    r[i] = fire ? r[i] - th : r[i]
                    codes[i] = fire ? codes[i] + w : codes[i]
                }
            }
            if scale != 1 { for i in 0..<count { codes[i] *= scale } }
        }
    }
}

// MARK: - Serial forms

/// The serial (hardware) form: T binary spikes [T, ...] of potentials v by the dynamic-threshold
/// recurrence, largest threshold first. Inference only (no gradient).
public func spikePackSerialDecode(_ v: Tensor, threshold theta: Float,
                                  configuration c: SpikePackConfiguration) -> Tensor {
    precondition(v.dtype == .float32, "spikePackSerialDecode: float32 potentials required")
    precondition(theta > 0 && theta.isFinite, "spikePackSerialDecode: threshold must be positive, got \(theta)")
    let n = v.count, steps = c.bits
    let spikes = Tensor(shape: [steps] + v.shape, uninitialized: true)
    let vp = UnsafePointer(v.floats.baseAddress!), sp = spikes.floats.baseAddress!
    let thresholds = c.stepThresholds(theta)
    // Blocks of neurons, one step at a time: contiguous writes of each step's spikes.
    parallelChunks(n, minChunk: 1 << 13) { range in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: SpikePackKernel.blockSize) { residual in
            let r = residual.baseAddress!
            var lo = range.lowerBound
            while lo < range.upperBound {
                let count = min(SpikePackKernel.blockSize, range.upperBound - lo)
                for k in 0..<count { r[k] = c.start(vp[lo + k], theta) }
                for t in 0..<steps {
                    let th = thresholds[t], row = sp + t * n + lo
                    for k in 0..<count {
                        let fire = r[k] >= th
                        r[k] = fire ? r[k] - th : r[k]
                        row[k] = fire ? 1 : 0
                    }
                }
                lo += count
            }
        }
    }
    return spikes
}

/// Step-by-step serial SpikePack inference with explicit state: the residual membrane of every
/// neuron and the next step. Each `advance()` emits one step's spikes (largest threshold first).
public struct SpikePackSerialState {
    /// The neuron settings.
    public let configuration: SpikePackConfiguration
    /// θ.
    public let threshold: Float
    /// Residual membrane r per neuron (a fresh tensor after each step; never shared).
    public private(set) var membrane: Tensor
    /// The next step to emit (0-based); `configuration.bits` when all spikes were emitted.
    public private(set) var step: Int

    /// Starts from the global potentials v (shifted by θ/2 for nearest rounding).
    public init(potential v: Tensor, threshold: Float, configuration: SpikePackConfiguration) {
        precondition(v.dtype == .float32, "SpikePackSerialState: float32 potentials required")
        precondition(threshold > 0 && threshold.isFinite, "SpikePackSerialState: threshold must be positive, got \(threshold)")
        self.configuration = configuration
        self.threshold = threshold
        let r = Tensor(shape: v.shape, uninitialized: true)
        let vp = v.floats.baseAddress!, rp = r.floats.baseAddress!
        for i in 0..<v.count { rp[i] = configuration.start(vp[i], threshold) }
        membrane = r
        step = 0
    }

    /// Whether all T steps were emitted.
    public var isFinished: Bool { step >= configuration.bits }

    /// Emits s_t = [r ≥ θ_t] and applies the subtractive reset r ← r − θ_t·s_t.
    public mutating func advance() -> Tensor {
        precondition(!isFinished, "SpikePackSerialState: all \(configuration.bits) steps were already emitted")
        let th = threshold * configuration.stepWeight(step)
        let next = Tensor(shape: membrane.shape, uninitialized: true)
        let spikes = Tensor(shape: membrane.shape, uninitialized: true)
        let rp = UnsafePointer(membrane.floats.baseAddress!), np = next.floats.baseAddress!
        let sp = spikes.floats.baseAddress!
        parallelChunks(membrane.count, minChunk: 1 << 15) { range in
            for i in range {
                let fire = rp[i] >= th
                np[i] = fire ? rp[i] - th : rp[i]
                sp[i] = fire ? 1 : 0
            }
        }
        membrane = next
        step += 1
        return spikes
    }
}

/// Packs a spike train [T, ...] into z = Σ_t s_t·τ^(T−1−t) (MSB = first step).
public func packSpikeTrain(_ spikes: Tensor, base: Float = 2) -> Tensor {
    let (steps, n) = TimeMixing.extent(of: spikes.shape, "packSpikeTrain")
    precondition(spikes.dtype == .float32 && base >= 1, "packSpikeTrain: float32 spikes and base ≥ 1 required")
    let z = Tensor(shape: Array(spikes.shape.dropFirst()))
    let sp = spikes.floats.baseAddress!, zp = z.floats.baseAddress!
    for t in 0..<steps {
        let w = Float(Foundation.pow(Double(base), Double(steps - 1 - t)))
        for i in 0..<n where sp[t * n + i] != 0 { zp[i] += w }
    }
    return z
}

// MARK: - Calibration

/// θ for ANN-to-SNN conversion: θ·z_max covers the `percentile`-th percentile (100 = the max)
/// of the activations (all elements, numpy's linear interpolation); z_max = Σ base^k (2^T − 1).
///
/// A layer whose percentile is not positive never fires on the calibration data: its max is
/// used instead, and θ = 1 when every activation is ≤ 0.
public func calibrateSpikePackThreshold(activations: [Tensor], bits: Int, percentile: Double = 99.9,
                                        base: Float = 2) -> Float {
    precondition(percentile > 0 && percentile <= 100, "calibration percentile must be in (0, 100], got \(percentile)")
    var values: [Float] = []
    values.reserveCapacity(activations.reduce(0) { $0 + $1.count })
    for a in activations {
        precondition(a.dtype == .float32, "calibrateSpikePackThreshold: float32 activations required")
        values.append(contentsOf: a.floats)
    }
    precondition(!values.isEmpty, "calibrateSpikePackThreshold: no activations given")
    precondition(!values.contains { $0.isNaN }, "calibrateSpikePackThreshold: activations contain NaN")
    let maxCode = SpikePackConfiguration(bits: bits, base: base).maxCode
    let largest = values.max()!
    var level = largest
    if percentile < 100 {
        values.sort()
        let position = percentile / 100 * Double(values.count - 1)
        let lo = Int(position.rounded(.down)), hi = min(lo + 1, values.count - 1)
        let fraction = position - Double(lo)
        level = Float(Double(values[lo]) + fraction * (Double(values[hi]) - Double(values[lo])))
    }
    if level <= 0 { level = largest }
    return level > 0 ? level / maxCode : 1
}

/// θ from one activation tensor (see the `[Tensor]` form).
public func calibrateSpikePackThreshold(activations: Tensor, bits: Int, percentile: Double = 99.9,
                                        base: Float = 2) -> Float {
    calibrateSpikePackThreshold(activations: [activations], bits: bits, percentile: percentile, base: base)
}
