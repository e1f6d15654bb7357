import SpikeTensor

// IPSU and RPSU (the learned-matrix members of the PSU family) in one pass over [T, M], tile by
// tile. Each neuron's T potentials need a general lower-triangular T×T product with the learned
// W ⊙ M, which is no recurrence; the fixed A and R products are (`PSUKernel`, d = 1/τ):
//   IPSU linear   V = C·X + b,  C = W ⊙ M + R (the matrix the GEMM form multiplies by)
//   IPSU sigmoid  G = (W ⊙ M)·X + b,  P[i] = d·(P[i−1] + σ(G[i−1])),  V = G − P
//   RPSU          G as above,  H[i] = d·(H[i−1] + X[i]),  P as above,  V = H − P
// S = Θ(V − V_th) (strict). Backward from T_ = gV + gS·g′(V − V_th; α):
//   IPSU linear   dG = T_,                       dX = Cᵀ·T_
//   IPSU sigmoid  dG = T_ − σ′(G)·Q,             dX = (W ⊙ M)ᵀ·dG
//   RPSU          dG = −σ′(G)·Q,                 dX = B + (W ⊙ M)ᵀ·dG
// with Q[i] = d·(Q[i+1] + T_[i+1]) (Q = −Rᵀ·T_) and B[i] = d·(T_[i] + B[i+1]) (B = Aᵀ·T_), and
// dW = (dG·Xᵀ) ⊙ M, db = Σ_m dG.
//
// Why a tile: with M = T the GEMM form is memory-bound on its [T, M] temporaries (G, σ(G), V,
// V − V_th, the gradient's three more) and OpenBLAS's small-M kernels. Here a tile of neurons
// (its X copied into a zero-padded scratch, L2-sized) does all the mixing in registers — a
// hand-written product over eight-lane groups, two rows by four groups at a time, each block of
// four groups through all T rows while its X is in L1 — plus the sigmoid, the threshold and the
// surrogate, and writes only S (V on request). The backward recomputes V from
// X for its tile (O(T²) multiply-adds per neuron, cheaper than writing and re-reading V) and
// accumulates dW, db and dα per parallel chunk: each tile's sums are added in Double to its
// chunk's, and the chunks are added in chunk order, so the same thread count gives the same bytes.
//
// The loops are generic over the form (`LearnedPSUForm`) and the surrogate (`LaneSurrogate`) so
// neither is switched on per vector, and walk lanes with hoisted row pointers and wrapping index
// arithmetic: Swift's overflow-checked `i * lanes + lane` and `(m − tile) / 8` cost more
// instructions per vector than the arithmetic they index (callgrind, RPSU T = 8).

/// The fused IPSU / RPSU forward and backward over a [steps, width] row-major layout.
struct LearnedPSUKernel: EightLaneKernel {
    /// Which member of the family, with IPSU's reset term.
    enum Form: Sendable { case ipsuLinear, ipsuSigmoid, rpsu }

    let form: Form
    /// d = 1/τ.
    let decay: Float
    let threshold: Float
    let steps: Int
    let width: Int
    /// The lower-triangular T×T matrix the forward multiplies X by (row-major): W ⊙ M + R for the
    /// linear IPSU, W ⊙ M otherwise.
    let mixing: [Float]
    /// The transpose of the matrix the input gradient multiplies dG by: Cᵀ (linear IPSU) or
    /// (W ⊙ M)ᵀ (row-major, upper-triangular).
    let mixingTransposed: [Float]
    /// b [T].
    let bias: [Float]
    /// Neurons per forward tile (a multiple of 8).
    let forwardTileWidth: Int
    /// Neurons per backward tile (a multiple of 8).
    let backwardTileWidth: Int

    /// `weight` is W [T, T] as given (the causal mask is applied here); `reset` is R of
    /// `PSUMatrices` (used by the linear IPSU only). `tileWidth` sets both tile widths (nil: the
    /// defaults).
    init(form: Form, weight: [Float], bias: [Float], reset: [Float], tau: Float, threshold: Float,
         steps t: Int, width: Int, tileWidth: Int? = nil) {
        precondition(weight.count == t * t && bias.count == t && reset.count == t * t,
                     "LearnedPSUKernel: W, R must be T×T and b T long for T = \(t)")
        var c = [Float](repeating: 0, count: t * t)
        for i in 0..<t {
            for j in 0...i { c[i * t + j] = form == .ipsuLinear ? weight[i * t + j] + reset[i * t + j] : weight[i * t + j] }
        }
        var ct = [Float](repeating: 0, count: t * t)
        for i in 0..<t { for j in 0...i { ct[j * t + i] = c[i * t + j] } }
        self.form = form
        decay = 1 / tau
        self.threshold = threshold
        steps = t
        self.width = width
        mixing = c
        mixingTransposed = ct
        self.bias = bias
        forwardTileWidth = tileWidth ?? Self.tileWidth(rows: 2 * t + 3, budget: Self.forwardBudget)
        // Sized for 3·T + 5 rows, as when the backward also kept two product rows: the tile width
        // decides how dW's per-tile Float sums are grouped, so trained IPSU/RPSU runs keep their bits.
        backwardTileWidth = tileWidth ?? Self.tileWidth(rows: 3 * t + 5, budget: Self.backwardBudget)
        precondition(forwardTileWidth >= 8 && forwardTileWidth % 8 == 0 && backwardTileWidth % 8 == 0,
                     "LearnedPSUKernel: tile width must be a positive multiple of 8")
    }

    /// Scratch bytes of a forward tile: X's T rows, the T product rows and three carry rows stay in the 1 MiB L2 of a core.
    static let forwardBudget = 512 << 10
    /// Scratch bytes of a backward tile (sized for 3·T + 5 rows; it uses 3·T + 3). Longer rows keep the prefetchers streaming;
    /// budgets of 256 KiB to 2 MiB were within 15 % of each other, this one the fastest (docs/neurons.md).
    static let backwardBudget = 2 << 20

    /// Neurons per tile whose `rows` scratch rows fill `budget` bytes: a multiple of 32 (four
    /// eight-lane groups), 32 to 16384.
    static func tileWidth(rows: Int, budget: Int) -> Int {
        max(32, min(16_384, (budget / (4 * rows)) / 32 * 32))
    }

    // MARK: Forward

    /// S for every step, and V when `membrane` is given.
    func forward(x: UnsafePointer<Float>, spikes: UnsafeMutablePointer<Float>, membrane: UnsafeMutablePointer<Float>?) {
        switch form {
        case .ipsuLinear: forward(IPSULinearForm.self, x: x, spikes: spikes, membrane: membrane)
        case .ipsuSigmoid: forward(IPSUSigmoidForm.self, x: x, spikes: spikes, membrane: membrane)
        case .rpsu: forward(RPSUForm.self, x: x, spikes: spikes, membrane: membrane)
        }
    }

    private func forward<F: LearnedPSUForm>(_: F.Type, x: UnsafePointer<Float>, spikes: UnsafeMutablePointer<Float>,
                                            membrane: UnsafeMutablePointer<Float>?) {
        let groups = (width + 7) / 8, T = steps, M = width, lanes = forwardTileWidth / 8, d = decay, vth = threshold
        mixing.withUnsafeBufferPointer { mixingBuffer in
            bias.withUnsafeBufferPointer { biasBuffer in
                let c = mixingBuffer.baseAddress!, b = biasBuffer.baseAddress!
                parallelChunks(groups, minChunk: minGroupsPerChunk) { range in
                    let span = neurons(range)
                    // Rows: X[0..<T], C·X + b [0..<T], carries H, P, σ(G) of the step before.
                    withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: lanes * (2 * T + 3)) { buffer in
                        let xs = buffer.baseAddress!, mixed = xs + T * lanes
                        let carries = LearnedPSUCarries(mixed + T * lanes, lanes)
                        var tile = span.lowerBound
                        while tile < span.upperBound {
                            let count = min(forwardTileWidth, span.upperBound - tile), used = (count + 7) / 8
                            mix(c, bias: b, x: x, tile: tile, count: count, into: xs, mixed, lanes: lanes)
                            for i in 0..<T {
                                let offset = i &* M &+ tile, xRow = xs + i &* lanes, row = mixed + i &* lanes
                                if F.form != .ipsuLinear {  // the linear IPSU's V is C·X + b itself
                                    for lane in 0..<used {
                                        row[lane] = F.potential(step: i, lane: lane, mixed: row[lane], x: xRow[lane], d: d,
                                                                carries: carries)
                                    }
                                }
                                // S (and V) as a Float loop: full-width compares (FloatRow).
                                FloatRow(row).threshold(vth, count: count, spikes: spikes + offset,
                                                        membrane: membrane.map { $0 + offset })
                            }
                            tile &+= count
                        }
                    }
                }
            }
        }
    }

    // MARK: Backward

    /// What the backward computes: the gradients asked for, sums in Double.
    struct Gradients {
        var weight: [Double]?
        var bias: [Double]?
        var alpha: Double
    }

    /// dX (when `gradInput` is given), dW (lower triangle; upper entries 0), db and
    /// Σ gS·∂g/∂α, from the output gradients (nil reads as 0).
    func backward(x: UnsafePointer<Float>, gradSpikes: UnsafePointer<Float>?, gradMembrane: UnsafePointer<Float>?,
                  surrogate kind: Surrogate.Kind, alpha: Float, gradInput: UnsafeMutablePointer<Float>?,
                  wantWeight: Bool, wantBias: Bool, wantAlpha: Bool) -> Gradients {
        let outputs = Outputs(gradInput: gradInput, weight: wantWeight, bias: wantBias, alpha: wantAlpha)
        switch kind {
        case .sigmoid: return backward(SigmoidLanes.self, x: x, gradSpikes: gradSpikes, gradMembrane: gradMembrane,
                                       alpha: alpha, outputs: outputs)
        case .atan: return backward(AtanLanes.self, x: x, gradSpikes: gradSpikes, gradMembrane: gradMembrane,
                                    alpha: alpha, outputs: outputs)
        case .rectangle: return backward(RectangleLanes.self, x: x, gradSpikes: gradSpikes, gradMembrane: gradMembrane,
                                         alpha: alpha, outputs: outputs)
        case .triangle: return backward(TriangleLanes.self, x: x, gradSpikes: gradSpikes, gradMembrane: gradMembrane,
                                        alpha: alpha, outputs: outputs)
        }
    }

    /// Which gradients the backward writes.
    private struct Outputs {
        let gradInput: UnsafeMutablePointer<Float>?
        let weight: Bool, bias: Bool, alpha: Bool
    }

    private func backward<S: LaneSurrogate>(_ surrogate: S.Type, x: UnsafePointer<Float>, gradSpikes: UnsafePointer<Float>?,
                                            gradMembrane: UnsafePointer<Float>?, alpha: Float, outputs: Outputs) -> Gradients {
        switch form {
        case .ipsuLinear: backward(S.self, IPSULinearForm.self, x: x, gradSpikes: gradSpikes, gradMembrane: gradMembrane,
                                   alpha: alpha, outputs: outputs)
        case .ipsuSigmoid: backward(S.self, IPSUSigmoidForm.self, x: x, gradSpikes: gradSpikes, gradMembrane: gradMembrane,
                                    alpha: alpha, outputs: outputs)
        case .rpsu: backward(S.self, RPSUForm.self, x: x, gradSpikes: gradSpikes, gradMembrane: gradMembrane,
                             alpha: alpha, outputs: outputs)
        }
    }

    private func backward<S: LaneSurrogate, F: LearnedPSUForm>(
        _: S.Type, _: F.Type, x: UnsafePointer<Float>, gradSpikes: UnsafePointer<Float>?,
        gradMembrane: UnsafePointer<Float>?, alpha: Float, outputs: Outputs
    ) -> Gradients {
        let groups = (width + 7) / 8, T = steps, lanes = backwardTileWidth / 8, M = width, d = decay, vth = threshold
        let chunks = chunkCount(groups, minChunk: minGroupsPerChunk)
        // Per chunk: T×T dW sums, T db sums, one dα sum.
        let stride = T * T + T + 1
        var partials = [Double](repeating: 0, count: chunks * stride)
        let gradInput = outputs.gradInput, wantAlpha = outputs.alpha
        mixing.withUnsafeBufferPointer { mixingBuffer in
        mixingTransposed.withUnsafeBufferPointer { transposedBuffer in
        bias.withUnsafeBufferPointer { biasBuffer in
        partials.withUnsafeMutableBufferPointer { partialBuffer in
            let c = mixingBuffer.baseAddress!, ct = transposedBuffer.baseAddress!, b = biasBuffer.baseAddress!
            let partial = partialBuffer.baseAddress!
            parallelChunks(chunks, minChunk: 1) { chunkIndices in
                for chunk in chunkIndices {
                    let span = neurons(chunkRange(chunk, of: chunks, count: groups))
                    let sums = partial + chunk * stride
                    var alphaSum = SIMD8<Double>()
                    // Rows: X[0..<T], C·X + b then T_ [0..<T] (later B, and dX, for RPSU), σ′(G)
                    // then dG [0..<T], carries H, P, σ(G).
                    withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: lanes * (3 * T + 3)) { buffer in
                        let xs = buffer.baseAddress!, total = xs + T * lanes, slope = total + T * lanes
                        let carries = LearnedPSUCarries(slope + T * lanes, lanes)
                        var tile = span.lowerBound
                        while tile < span.upperBound {
                            let count = min(backwardTileWidth, span.upperBound - tile), used = (count + 7) / 8
                            // The forward again, keeping T_ and σ′(G): X copied, C·X + b formed block by
                            // block into `total`, which each step then overwrites with T_.
                            mix(c, bias: b, x: x, tile: tile, count: count, into: xs, total, lanes: lanes)
                            for i in 0..<T {
                                let offset = i &* M &+ tile, xRow = xs + i &* lanes
                                let totalRow = total + i &* lanes, slopeRow = slope + i &* lanes
                                let gsRow = gradSpikes.map { $0 + offset }, gvRow = gradMembrane.map { $0 + offset }
                                for lane in 0..<used {
                                    let n = min(8, count &- lane &<< 3), at = lane &<< 3
                                    let v = F.potential(step: i, lane: lane, mixed: totalRow[lane], x: xRow[lane], d: d,
                                                        carries: carries)
                                    if F.form != .ipsuLinear {
                                        // σ′ = σ(1 − σ) from σ: absolute error below 1e-7.
                                        let y = carries.squashed[lane]
                                        slopeRow[lane] = y * (1 - y)
                                    }
                                    let u = v - vth
                                    var g = gvRow.map { Lanes8.load($0 + at, n) } ?? SIMD8()
                                    if let gsRow {
                                        let gS = Lanes8.load(gsRow + at, n)
                                        g += gS * S.derivative(alpha, u)
                                        // Padded lanes load gS = 0, so they add nothing.
                                        if wantAlpha { alphaSum += SIMD8<Double>(gS * S.alphaDerivative(alpha, u)) }
                                    }
                                    totalRow[lane] = g
                                }
                            }
                            // dG (into `slope`), and B (into `total`) for RPSU, by the reverse recurrences.
                            if F.form != .ipsuLinear {
                                let q = carries.integrated, bCarry = carries.reset  // Q[t] and B[t+1]
                                q.initialize(repeating: SIMD8(), count: 2 * lanes)
                                for t in Swift.stride(from: T - 1, through: 0, by: -1) {
                                    let totalRow = total + t &* lanes, slopeRow = slope + t &* lanes
                                    for lane in 0..<used {
                                        let qt = q[lane], g = totalRow[lane]
                                        if F.form == .rpsu {
                                            slopeRow[lane] = SIMD8<Float>() - slopeRow[lane] * qt
                                            let bt = d * (g + bCarry[lane])
                                            bCarry[lane] = bt
                                            totalRow[lane] = bt
                                        } else {
                                            slopeRow[lane] = g - slopeRow[lane] * qt
                                        }
                                        q[lane] = d * (qt + g)
                                    }
                                }
                            }
                            let dG = F.form == .ipsuLinear ? total : slope
                            if outputs.weight { accumulateOuterProducts(dG, xs, lanes: lanes, count: used, into: sums) }
                            if outputs.bias {
                                for i in 0..<T {
                                    var s = SIMD8<Float>()
                                    let row = dG + i &* lanes
                                    for lane in 0..<used { s += row[lane] }
                                    sums[T * T + i] += Double(s.sum())
                                }
                            }
                            if let gradInput {
                                // dX = Cᵀ·dG (+ B for RPSU, in `total`) block by block, written over
                                // the rows it starts from (RPSU: B; otherwise dG, whose rows below j
                                // are no longer read once rows j, j + 1 are done), then copied out.
                                let out = F.form == .rpsu ? total : dG
                                var g = 0
                                while g < used {
                                    let n = min(4, used &- g)
                                    var j = 0
                                    while j < T {
                                        let startA = F.form == .rpsu ? UnsafePointer(out + (j &* lanes &+ g)) : nil
                                        if j &+ 1 < T {
                                            combinePair(ct + (j &* T &+ j), ct + ((j &+ 1) &* T &+ j), terms: T &- j,
                                                        rows: dG + (j &* lanes &+ g), lanes: lanes, count: n, startA: startA,
                                                        startB: F.form == .rpsu ? UnsafePointer(out + ((j &+ 1) &* lanes &+ g)) : nil,
                                                        biasA: 0, biasB: 0, into: out + (j &* lanes &+ g), out + ((j &+ 1) &* lanes &+ g))
                                        } else {
                                            combine(ct + (j &* T &+ j), terms: T &- j, rows: dG + (j &* lanes &+ g), lanes: lanes,
                                                    count: n, start: startA, bias: 0, into: out + (j &* lanes &+ g))
                                        }
                                        j &+= 2
                                    }
                                    g &+= 4
                                }
                                for j in 0..<T {
                                    let row = FloatRow(out + j &* lanes), dxRow = gradInput + (j &* M &+ tile)
                                    for k in 0..<count { dxRow[k] = row[k] }
                                }
                            }
                            tile &+= count
                        }
                    }
                    sums[T * T + T] = alphaSum.sum()
                }
            }
        }
        }
        }
        }
        // Chunk partials added in chunk order (deterministic for a given thread count).
        var total = [Double](repeating: 0, count: stride)
        for chunk in 0..<chunks { for k in 0..<stride { total[k] += partials[chunk * stride + k] } }
        return Gradients(weight: outputs.weight ? Array(total[0..<(T * T)]) : nil,
                         bias: outputs.bias ? Array(total[(T * T)..<(T * T + T)]) : nil,
                         alpha: total[T * T + T])
    }

    // MARK: Tile pieces

    /// Copies `count` floats from `source` into eight-lane groups, zero-padding the last one, so
    /// every product below runs on whole aligned vectors.
    @inline(__always)
    private static func loadRow(_ source: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<SIMD8<Float>>) {
        let full = count &>> 3
        var g = 0
        while g < full {
            out[g] = UnsafeRawPointer(source + g &<< 3).loadUnaligned(as: SIMD8<Float>.self)
            g &+= 1
        }
        if count & 7 != 0 { out[full] = Lanes8.load(source + full &<< 3, count & 7) }
    }

    /// Copies the tile's T rows of X (`count` neurons from `tile`) into `xs`, zero-padded to whole
    /// groups, then out[i] = b[i] + Σ_{j ≤ i} C[i, j]·X[j] for every step i, block by block: four
    /// eight-lane groups at a time run every pair of rows, so the block's T rows of X (128 bytes
    /// each) stay in L1 while they are reused T/2 times; pair by pair over the whole tile, each
    /// pair streamed the tile's X from L2. Each value is the same sum in the same order either way.
    @inline(__always)
    private func mix(_ c: UnsafePointer<Float>, bias b: UnsafePointer<Float>, x: UnsafePointer<Float>, tile: Int, count: Int,
                     into xs: UnsafeMutablePointer<SIMD8<Float>>, _ out: UnsafeMutablePointer<SIMD8<Float>>, lanes: Int) {
        let T = steps, M = width, used = (count + 7) / 8
        for i in 0..<T { Self.loadRow(x + (i &* M &+ tile), count: count, into: xs + i &* lanes) }
        var g = 0
        while g < used {
            let n = min(4, used &- g)
            var i = 0
            while i &+ 1 < T {
                combinePair(c + i &* T, c + (i &+ 1) &* T, terms: i &+ 2, rows: xs + g, lanes: lanes, count: n,
                            startA: nil, startB: nil, biasA: b[i], biasB: b[i &+ 1],
                            into: out + (i &* lanes &+ g), out + ((i &+ 1) &* lanes &+ g))
                i &+= 2
            }
            if i < T {
                combine(c + i &* T, terms: i &+ 1, rows: xs + g, lanes: lanes, count: n, start: nil, bias: b[i],
                        into: out + (i &* lanes &+ g))
            }
            g &+= 4
        }
    }

    /// `combine` for two rows of coefficients over the same rows of the tile: four groups by two
    /// rows of FMA chains, six loads per eight multiply-adds instead of nine.
    @inline(__always)
    private func combinePair(_ ca: UnsafePointer<Float>, _ cb: UnsafePointer<Float>, terms: Int,
                             rows: UnsafePointer<SIMD8<Float>>, lanes: Int, count: Int,
                             startA: UnsafePointer<SIMD8<Float>>?, startB: UnsafePointer<SIMD8<Float>>?,
                             biasA: Float, biasB: Float,
                             into outA: UnsafeMutablePointer<SIMD8<Float>>, _ outB: UnsafeMutablePointer<SIMD8<Float>>) {
        let initialA = SIMD8<Float>(repeating: biasA), initialB = SIMD8<Float>(repeating: biasB)
        var g = 0
        while g &+ 4 <= count {
            var a0 = startA?[g] ?? initialA, a1 = startA?[g + 1] ?? initialA
            var a2 = startA?[g + 2] ?? initialA, a3 = startA?[g + 3] ?? initialA
            var b0 = startB?[g] ?? initialB, b1 = startB?[g + 1] ?? initialB
            var b2 = startB?[g + 2] ?? initialB, b3 = startB?[g + 3] ?? initialB
            var pa = ca, pb = cb, r = rows + g
            for _ in 0..<terms {
                let cA = SIMD8<Float>(repeating: pa.pointee), cB = SIMD8<Float>(repeating: pb.pointee)
                let r0 = r[0], r1 = r[1], r2 = r[2], r3 = r[3]
                a0 = a0.addingProduct(cA, r0); b0 = b0.addingProduct(cB, r0)
                a1 = a1.addingProduct(cA, r1); b1 = b1.addingProduct(cB, r1)
                a2 = a2.addingProduct(cA, r2); b2 = b2.addingProduct(cB, r2)
                a3 = a3.addingProduct(cA, r3); b3 = b3.addingProduct(cB, r3)
                pa += 1
                pb += 1
                r += lanes
            }
            outA[g] = a0; outA[g + 1] = a1; outA[g + 2] = a2; outA[g + 3] = a3
            outB[g] = b0; outB[g + 1] = b1; outB[g + 2] = b2; outB[g + 3] = b3
            g &+= 4
        }
        while g < count {
            var a = startA?[g] ?? initialA, b = startB?[g] ?? initialB
            var pa = ca, pb = cb, r = rows + g
            for _ in 0..<terms {
                a = a.addingProduct(SIMD8<Float>(repeating: pa.pointee), r.pointee)
                b = b.addingProduct(SIMD8<Float>(repeating: pb.pointee), r.pointee)
                pa += 1
                pb += 1
                r += lanes
            }
            outA[g] = a
            outB[g] = b
            g &+= 1
        }
    }

    /// out[g] = (start[g] or b) + Σ_{k < terms} coefficients[k]·rows[k·lanes + g] for g < count:
    /// one row of a triangular product over a tile.
    @inline(__always)
    private func combine(_ coefficients: UnsafePointer<Float>, terms: Int, rows: UnsafePointer<SIMD8<Float>>,
                         lanes: Int, count: Int, start: UnsafePointer<SIMD8<Float>>?, bias: Float,
                         into out: UnsafeMutablePointer<SIMD8<Float>>) {
        let initial = SIMD8<Float>(repeating: bias)
        var g = 0
        // Eight groups at a time: eight independent multiply-add chains cover the FMA latency
        // (4 cycles) at two FMAs per cycle; four chains were latency-bound. Pointer steps, no
        // overflow checks in the innermost loop.
        while g &+ 8 <= count {
            var a0 = start?[g] ?? initial, a1 = start?[g + 1] ?? initial
            var a2 = start?[g + 2] ?? initial, a3 = start?[g + 3] ?? initial
            var a4 = start?[g + 4] ?? initial, a5 = start?[g + 5] ?? initial
            var a6 = start?[g + 6] ?? initial, a7 = start?[g + 7] ?? initial
            var c = coefficients, r = rows + g
            for _ in 0..<terms {
                let cj = SIMD8<Float>(repeating: c.pointee)
                a0 = a0.addingProduct(cj, r[0])
                a1 = a1.addingProduct(cj, r[1])
                a2 = a2.addingProduct(cj, r[2])
                a3 = a3.addingProduct(cj, r[3])
                a4 = a4.addingProduct(cj, r[4])
                a5 = a5.addingProduct(cj, r[5])
                a6 = a6.addingProduct(cj, r[6])
                a7 = a7.addingProduct(cj, r[7])
                c += 1
                r += lanes
            }
            out[g] = a0; out[g + 1] = a1; out[g + 2] = a2; out[g + 3] = a3
            out[g + 4] = a4; out[g + 5] = a5; out[g + 6] = a6; out[g + 7] = a7
            g &+= 8
        }
        while g < count {
            var a = start?[g] ?? initial
            var c = coefficients, r = rows + g
            for _ in 0..<terms {
                a = a.addingProduct(SIMD8<Float>(repeating: c.pointee), r.pointee)
                c += 1
                r += lanes
            }
            out[g] = a
            g &+= 1
        }
    }

    /// sums[i·T + j] += Σ_g ⟨dG[i][g], X[j][g]⟩ for j ≤ i: the tile's share of (dG·Xᵀ) ⊙ M, each
    /// tile's Float sums added to the chunk's in Double. Two rows i by four columns j at a time
    /// (eight independent chains, six loads per eight multiply-adds) where both rows have them.
    @inline(__always)
    private func accumulateOuterProducts(_ dG: UnsafePointer<SIMD8<Float>>, _ xs: UnsafePointer<SIMD8<Float>>,
                                         lanes: Int, count: Int, into sums: UnsafeMutablePointer<Double>) {
        let T = steps
        var i = 0
        while i + 2 <= T {
            // Columns j ≤ i are shared by rows i and i + 1 (row i + 1's column i + 1 is left to the loop below).
            let gRow = dG + i * lanes, hRow = gRow + lanes
            var j = 0
            while j + 4 <= i + 1 {
                var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
                var b0 = SIMD8<Float>(), b1 = SIMD8<Float>(), b2 = SIMD8<Float>(), b3 = SIMD8<Float>()
                let x0 = xs + j * lanes, x1 = x0 + lanes, x2 = x1 + lanes, x3 = x2 + lanes
                for g in 0..<count {
                    let gv = gRow[g], hv = hRow[g]
                    let y0 = x0[g], y1 = x1[g], y2 = x2[g], y3 = x3[g]
                    a0 = a0.addingProduct(gv, y0); b0 = b0.addingProduct(hv, y0)
                    a1 = a1.addingProduct(gv, y1); b1 = b1.addingProduct(hv, y1)
                    a2 = a2.addingProduct(gv, y2); b2 = b2.addingProduct(hv, y2)
                    a3 = a3.addingProduct(gv, y3); b3 = b3.addingProduct(hv, y3)
                }
                sums[i * T + j] += Double(a0.sum()); sums[(i + 1) * T + j] += Double(b0.sum())
                sums[i * T + j + 1] += Double(a1.sum()); sums[(i + 1) * T + j + 1] += Double(b1.sum())
                sums[i * T + j + 2] += Double(a2.sum()); sums[(i + 1) * T + j + 2] += Double(b2.sum())
                sums[i * T + j + 3] += Double(a3.sum()); sums[(i + 1) * T + j + 3] += Double(b3.sum())
                j += 4
            }
            while j <= i + 1 {
                var a = SIMD8<Float>(), b = SIMD8<Float>()
                let xr = xs + j * lanes
                for g in 0..<count {
                    let y = xr[g]
                    a = a.addingProduct(gRow[g], y)
                    b = b.addingProduct(hRow[g], y)
                }
                // Row i's column i + 1 lies above the diagonal: masked out.
                if j <= i { sums[i * T + j] += Double(a.sum()) }
                sums[(i + 1) * T + j] += Double(b.sum())
                j += 1
            }
            i += 2
        }
        while i < T {
            let gRow = dG + i * lanes
            var j = 0
            while j + 4 <= i + 1 {
                var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
                let x0 = xs + j * lanes, x1 = x0 + lanes, x2 = x1 + lanes, x3 = x2 + lanes
                for g in 0..<count {
                    let gv = gRow[g]
                    a0 = a0.addingProduct(gv, x0[g])
                    a1 = a1.addingProduct(gv, x1[g])
                    a2 = a2.addingProduct(gv, x2[g])
                    a3 = a3.addingProduct(gv, x3[g])
                }
                sums[i * T + j] += Double(a0.sum())
                sums[i * T + j + 1] += Double(a1.sum())
                sums[i * T + j + 2] += Double(a2.sum())
                sums[i * T + j + 3] += Double(a3.sum())
                j += 4
            }
            while j <= i {
                var a = SIMD8<Float>()
                let xr = xs + j * lanes
                for g in 0..<count { a = a.addingProduct(gRow[g], xr[g]) }
                sums[i * T + j] += Double(a.sum())
                j += 1
            }
            i += 1
        }
    }
}

/// The carry rows of a tile: H (RPSU's A·X), P (−R·σ(G)) and σ(G) of the step before; the
/// backward reuses the first two for Q and B.
struct LearnedPSUCarries {
    let integrated: UnsafeMutablePointer<SIMD8<Float>>
    let reset: UnsafeMutablePointer<SIMD8<Float>>
    let squashed: UnsafeMutablePointer<SIMD8<Float>>

    /// Three rows of `lanes` groups from `base`.
    init(_ base: UnsafeMutablePointer<SIMD8<Float>>, _ lanes: Int) {
        integrated = base
        reset = base + lanes
        squashed = base + 2 * lanes
    }
}

/// A member of the learned PSU family fixed at compile time, so the kernel's loops have no
/// switch on it per vector.
protocol LearnedPSUForm {
    static var form: LearnedPSUKernel.Form { get }
}

extension LearnedPSUForm {
    /// V at `step` for one eight-lane group from its mixed value (C·X + b or G) and x = X[step],
    /// advancing the carries; σ(G) of this step is left in `carries.squashed`.
    @inline(__always)
    static func potential(step i: Int, lane: Int, mixed g: SIMD8<Float>, x: SIMD8<Float>, d: Float,
                          carries: LearnedPSUCarries) -> SIMD8<Float> {
        switch form {
        case .ipsuLinear:
            return g
        case .ipsuSigmoid:
            let p = i == 0 ? SIMD8<Float>() : d * (carries.reset[lane] + carries.squashed[lane])
            carries.reset[lane] = p
            carries.squashed[lane] = Lanes8.logistic(g)
            return g - p
        case .rpsu:
            let h = i == 0 ? d * x : d * (carries.integrated[lane] + x)
            let p = i == 0 ? SIMD8<Float>() : d * (carries.reset[lane] + carries.squashed[lane])
            carries.integrated[lane] = h
            carries.reset[lane] = p
            carries.squashed[lane] = Lanes8.logistic(g)
            return h - p
        }
    }
}

enum IPSULinearForm: LearnedPSUForm { static var form: LearnedPSUKernel.Form { .ipsuLinear } }
enum IPSUSigmoidForm: LearnedPSUForm { static var form: LearnedPSUKernel.Form { .ipsuSigmoid } }
enum RPSUForm: LearnedPSUForm { static var form: LearnedPSUKernel.Form { .rpsu } }

/// Runs IPSU/RPSU with the fused kernel on x viewed as [T, M] and records its backward (inputs
/// x, W, b, α). Saves nothing beyond the inputs, which the graph holds anyway (W and b as the
/// values they had at the forward).
func runLearnedPSU(_ name: String, _ form: LearnedPSUKernel.Form, _ x: Tensor, weight: Tensor, bias: Tensor,
                   alpha: Tensor, threshold: Float, tau: Float, surrogate kind: Surrogate.Kind, keepMembrane: Bool,
                   recorder: FiringRateRecorder?, tileWidth: Int? = nil) -> (spikes: Tensor, membrane: Tensor?) {
    let (t, m) = TimeMixing.extent(of: x.shape, name)
    precondition(tau > 0, "\(name): tau must be positive, got \(tau)")
    let reset = form == .ipsuLinear ? PSUMatrices.cached(timeSteps: t, tau: tau).reset : [Float](repeating: 0, count: t * t)
    let kernel = LearnedPSUKernel(form: form, weight: weight.array, bias: bias.array, reset: reset, tau: tau,
                                  threshold: threshold, steps: t, width: m, tileWidth: tileWidth)
    let spikes = Tensor(shape: x.shape, uninitialized: true)
    let membrane = keepMembrane ? Tensor(shape: x.shape, uninitialized: true) : nil
    if t * m > 0 {
        kernel.forward(x: x.floats.baseAddress!, spikes: spikes.floats.baseAddress!, membrane: membrane?.floats.baseAddress)
    }
    recorder?.record(spikes: spikes)
    let a = alpha.item
    let outputs = Tensor.record(name, outputs: membrane.map { [spikes, $0] } ?? [spikes],
                                inputs: [x, weight, bias, alpha]) { grads in
        let dx = x.requiresGrad ? Tensor(shape: x.shape, uninitialized: true) : nil
        let result = t * m == 0
            ? LearnedPSUKernel.Gradients(weight: [Double](repeating: 0, count: t * t), bias: [Double](repeating: 0, count: t), alpha: 0)
            : kernel.backward(
                x: x.floats.baseAddress!, gradSpikes: grads[0].map { UnsafePointer($0.floats.baseAddress!) },
                gradMembrane: grads.count > 1 ? grads[1].map { UnsafePointer($0.floats.baseAddress!) } : nil,
                surrogate: kind, alpha: a, gradInput: dx?.floats.baseAddress,
                wantWeight: weight.requiresGrad, wantBias: bias.requiresGrad, wantAlpha: alpha.requiresGrad)
        let dW = weight.requiresGrad ? Tensor(result.weight!.map { Float($0) }, shape: weight.shape) : nil
        let db = bias.requiresGrad ? Tensor(result.bias!.map { Float($0) }, shape: bias.shape) : nil
        return [dx, dW, db, alpha.requiresGrad ? Tensor([Float(result.alpha)], shape: alpha.shape) : nil]
    }
    return (outputs[0], membrane == nil ? nil : outputs[1])
}
