import SpikeTensor

// PSU (the fixed-matrix member of the family) in one pass over [T, M], tile by tile.
//
// Its two T×T products are causal geometric sums, so each is a one-term recurrence per neuron
// (d = 1/τ; A[i,j] = d^(i−j+1) for j ≤ i, R[i,j] = −d^(i−j) for j < i):
//   H[i] = d·(H[i−1] + X[i]),  H[−1] = 0                  (H = A·X)
//   P[i] = d·(P[i−1] + σ(H[i−1])),  P[0] = 0               (P = −R·σ(H))
//   V[i] = H[i] − V_th·P[i],  S[i] = Θ(V[i] − V_th) (strict)
// and the backward, from G = gV + gS·g′(V − V_th; α):
//   Q[i] = d·(Q[i+1] + G[i+1]),  Q[T−1] = 0                (Q = −Rᵀ·G)
//   dH[i] = G[i] − V_th·Q[i]·σ′(H[i])
//   dX[i] = B[i] = d·(dH[i] + B[i+1]),  B[T] = 0           (dX = Aᵀ·dH)
// The same values as the GEMM form up to the order of the additions (tested against it and
// against a Double reference). The forward writes S (and V on request) and saves nothing; the
// backward recomputes σ(H) and V for a tile from X into an L2-sized scratch, then runs the
// reverse recurrences over it — 20 counted bytes per neuron-step for training, as IF/LIF.

/// The fused PSU forward and backward over a [steps, width] row-major layout.
struct PSUKernel: EightLaneKernel {
    /// d = 1/τ.
    let decay: Float
    let threshold: Float
    let steps: Int
    let width: Int

    /// Neurons per forward tile: the carry rows H, P, σ(H) and the V row, 64 KiB each at the
    /// default, in L2.
    let forwardTileWidth: Int
    /// Neurons per backward tile: 2·T rows of recomputed σ(H) and V in at most 512 KiB.
    let backwardTileWidth: Int

    /// `tileWidth` (a positive multiple of 8) sets both tile widths; nil: 16384 neurons forward,
    /// and backward as many as 512 KiB of scratch holds (at most 16384). Each row of x, S, g and
    /// ∂x a tile touches is one sequential run, and the run length decides the speed: with
    /// 2048-neuron forward tiles (8 KiB runs) the forward waited on its loads of x (thread CPU
    /// time, T = 8: 7.6 → 6.6–6.8 ms with 16384; docs/neurons.md). No value depends on the
    /// widths (tested bit for bit).
    init(decay: Float, threshold: Float, steps: Int, width: Int, tileWidth: Int? = nil) {
        precondition(tileWidth.map { $0 > 0 && $0 % 8 == 0 } ?? true, "PSUKernel: tile width must be a positive multiple of 8")
        self.decay = decay
        self.threshold = threshold
        self.steps = steps
        self.width = width
        forwardTileWidth = tileWidth ?? 16_384
        backwardTileWidth = tileWidth ?? max(64, min(16_384, (65_536 / max(1, steps)) / 8 * 8))
    }

    /// S for every step, and V when `membrane` is given.
    func forward(x: UnsafePointer<Float>, spikes: UnsafeMutablePointer<Float>, membrane: UnsafeMutablePointer<Float>?) {
        let groups = (width + 7) / 8, M = width, d = decay, vth = threshold
        let tileWidth = forwardTileWidth, lanes = tileWidth / 8
        parallelChunks(groups, minChunk: minGroupsPerChunk) { range in
            let span = neurons(range)
            // Carry rows H, P, σ(H) of the step before, and this step's V.
            withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: 4 * lanes) { buffer in
                let hCarry = buffer.baseAddress!, pCarry = hCarry + lanes, yCarry = pCarry + lanes
                let potential = yCarry + lanes
                var tile = span.lowerBound
                while tile < span.upperBound {
                    let count = min(tileWidth, span.upperBound - tile), used = (count + 7) / 8
                    for t in 0..<steps {
                        let offset = t &* M &+ tile, xRow = x + offset
                        for lane in 0..<used {
                            let xv = Lanes8.load(xRow + lane &<< 3, min(8, count &- lane &<< 3))
                            let h = t == 0 ? d * xv : d * (hCarry[lane] + xv)
                            let p = t == 0 ? SIMD8<Float>() : d * (pCarry[lane] + yCarry[lane])
                            potential[lane] = h - vth * p
                            hCarry[lane] = h
                            pCarry[lane] = p
                            yCarry[lane] = Lanes8.logistic(h)
                        }
                        // S (and V) as a Float loop: full-width compares (FloatRow).
                        FloatRow(potential).threshold(vth, count: count, spikes: spikes + offset,
                                                      membrane: membrane.map { $0 + offset })
                    }
                    tile &+= count
                }
            }
        }
    }

    /// dX (when `gradInput` is given) and Σ gS·∂g/∂α, from the output gradients (nil reads as 0).
    func backward(x: UnsafePointer<Float>, gradSpikes: UnsafePointer<Float>?, gradMembrane: UnsafePointer<Float>?,
                  surrogate kind: Surrogate.Kind, alpha: Float, gradInput: UnsafeMutablePointer<Float>?,
                  wantAlpha: Bool) -> Double {
        switch kind {
        case .sigmoid: backward(SigmoidLanes.self, x: x, gradSpikes: gradSpikes, gradMembrane: gradMembrane, alpha: alpha,
                                gradInput: gradInput, wantAlpha: wantAlpha)
        case .atan: backward(AtanLanes.self, x: x, gradSpikes: gradSpikes, gradMembrane: gradMembrane, alpha: alpha,
                             gradInput: gradInput, wantAlpha: wantAlpha)
        case .rectangle: backward(RectangleLanes.self, x: x, gradSpikes: gradSpikes, gradMembrane: gradMembrane, alpha: alpha,
                                  gradInput: gradInput, wantAlpha: wantAlpha)
        case .triangle: backward(TriangleLanes.self, x: x, gradSpikes: gradSpikes, gradMembrane: gradMembrane, alpha: alpha,
                                 gradInput: gradInput, wantAlpha: wantAlpha)
        }
    }

    /// `backward` for the surrogate `S` (no switch on its kind per vector).
    private func backward<S: LaneSurrogate>(_: S.Type, x: UnsafePointer<Float>, gradSpikes: UnsafePointer<Float>?,
                                            gradMembrane: UnsafePointer<Float>?, alpha: Float,
                                            gradInput: UnsafeMutablePointer<Float>?, wantAlpha: Bool) -> Double {
        let groups = (width + 7) / 8, M = width, d = decay, vth = threshold
        let chunks = chunkCount(groups, minChunk: minGroupsPerChunk)
        var partials = [Double](repeating: 0, count: chunks)
        let tileWidth = backwardTileWidth, lanes = tileWidth / 8
        partials.withUnsafeMutableBufferPointer { partialBuffer in
            let partial = partialBuffer.baseAddress!
            parallelChunks(chunks, minChunk: 1) { chunkIndices in
                for c in chunkIndices {
                    let span = neurons(chunkRange(c, of: chunks, count: groups))
                    var alphaSum = SIMD8<Double>()
                    // Rows: σ(H)[0..<T], V[0..<T], then two carry rows.
                    withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: lanes * (2 * steps + 2)) { buffer in
                        let squashed = buffer.baseAddress!, potential = squashed + steps * lanes
                        let carryA = potential + steps * lanes, carryB = carryA + lanes
                        var tile = span.lowerBound
                        while tile < span.upperBound {
                            let count = min(tileWidth, span.upperBound - tile), used = (count + 7) / 8
                            // The forward again (H and P in the carry rows), keeping σ(H) and V.
                            for t in 0..<steps {
                                let xRow = x + (t &* M &+ tile), yRow = squashed + t &* lanes, vRow = potential + t &* lanes
                                for lane in 0..<used {
                                    let xv = Lanes8.load(xRow + lane &<< 3, min(8, count &- lane &<< 3))
                                    let h = t == 0 ? d * xv : d * (carryA[lane] + xv)
                                    let p = t == 0 ? SIMD8<Float>() : d * (carryB[lane] + yRow[lane &- lanes])
                                    carryA[lane] = h
                                    carryB[lane] = p
                                    vRow[lane] = h - vth * p
                                    yRow[lane] = Lanes8.logistic(h)
                                }
                            }
                            // Reverse recurrences: carryA holds Q[t], carryB holds B[t+1].
                            carryA.initialize(repeating: SIMD8(), count: 2 * lanes)
                            for t in stride(from: steps - 1, through: 0, by: -1) {
                                let offset = t &* M &+ tile, yRow = squashed + t &* lanes, vRow = potential + t &* lanes
                                let gsRow = gradSpikes.map { $0 + offset }, gvRow = gradMembrane.map { $0 + offset }
                                let dxRow = gradInput.map { $0 + offset }
                                for lane in 0..<used {
                                    let n = min(8, count &- lane &<< 3), at = lane &<< 3
                                    let u = vRow[lane] - vth
                                    var g = gvRow.map { Lanes8.load($0 + at, n) } ?? SIMD8()
                                    if let gsRow {
                                        let gS = Lanes8.load(gsRow + at, n)
                                        g += gS * S.derivative(alpha, u)
                                        // Padded lanes load gS = 0, so they add nothing.
                                        if wantAlpha { alphaSum += SIMD8<Double>(gS * S.alphaDerivative(alpha, u)) }
                                    }
                                    // σ′ = σ(1 − σ) from the stored σ: absolute error below 1e-7.
                                    let q = carryA[lane], y = yRow[lane]
                                    let dh = g - vth * q * (y * (1 - y))
                                    let b = d * (dh + carryB[lane])
                                    if let dxRow { Lanes8.store(b, dxRow + at, n) }
                                    carryB[lane] = b
                                    carryA[lane] = d * (q + g)
                                }
                            }
                            tile &+= count
                        }
                    }
                    partial[c] = alphaSum.sum()
                }
            }
        }
        return partials.reduce(0, +)
    }
}

/// Runs PSU with the fused kernel on x viewed as [T, M] and records its backward (inputs x, α).
/// Saves nothing beyond x and α, which the graph holds anyway.
func runPSU(_ x: Tensor, alpha: Tensor, threshold: Float, tau: Float, surrogate kind: Surrogate.Kind,
            keepMembrane: Bool, recorder: FiringRateRecorder?) -> (spikes: Tensor, membrane: Tensor?) {
    let (t, m) = TimeMixing.extent(of: x.shape, "psu")
    precondition(tau > 0, "PSU tau must be positive, got \(tau)")
    let kernel = PSUKernel(decay: 1 / tau, threshold: threshold, steps: t, width: m)
    let spikes = Tensor(shape: x.shape, uninitialized: true)
    let membrane = keepMembrane ? Tensor(shape: x.shape, uninitialized: true) : nil
    kernel.forward(x: x.floats.baseAddress!, spikes: spikes.floats.baseAddress!, membrane: membrane?.floats.baseAddress)
    recorder?.record(spikes: spikes)
    let a = alpha.item
    let outputs = Tensor.record("psu", outputs: membrane.map { [spikes, $0] } ?? [spikes], inputs: [x, alpha]) { grads in
        let dx = x.requiresGrad ? Tensor(shape: x.shape, uninitialized: true) : nil
        let dAlpha = kernel.backward(
            x: x.floats.baseAddress!, gradSpikes: grads[0].map { UnsafePointer($0.floats.baseAddress!) },
            gradMembrane: grads.count > 1 ? grads[1].map { UnsafePointer($0.floats.baseAddress!) } : nil,
            surrogate: kind, alpha: a, gradInput: dx?.floats.baseAddress, wantAlpha: alpha.requiresGrad)
        return [dx, alpha.requiresGrad ? Tensor([Float(dAlpha)], shape: alpha.shape) : nil]
    }
    return (outputs[0], membrane == nil ? nil : outputs[1])
}
