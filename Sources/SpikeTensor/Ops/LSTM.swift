import Foundation

/// A single-layer unidirectional LSTM over a whole sequence, PyTorch's `nn.LSTM` equations
/// and gate order (input i, forget f, cell g, output o):
/// `c_t = σ(f)·c_{t−1} + σ(i)·tanh(g)`, `h_t = σ(o)·tanh(c_t)`, with the gate pre-activations
/// `x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh`.
///
/// x is `[T, N, I]`, weightIH `[4H, I]`, weightHH `[4H, H]`, biases `[4H]`, h0 and c0 `[N, H]`
/// (zeros when nil). Returns every step's hidden state `[T, N, H]` and the last h and c `[N, H]`.
public func lstm(_ x: Tensor, h0: Tensor?, c0: Tensor?, weightIH: Tensor, weightHH: Tensor,
                 biasIH: Tensor?, biasHH: Tensor?) -> (output: Tensor, h: Tensor, c: Tensor) {
    precondition(x.dtype == .float32 && x.rank == 3, "lstm input must be float32 [T, N, I], got \(x.dtype) \(x.shape)")
    let steps = x.shape[0], batch = x.shape[1], inputSize = x.shape[2]
    precondition(steps >= 1, "lstm needs at least one time step, got input shape \(x.shape)")
    precondition(weightHH.dtype == .float32 && weightHH.rank == 2 && weightHH.shape[0] == 4 * weightHH.shape[1],
                 "lstm weightHH must be float32 [4H, H], got \(weightHH.dtype) \(weightHH.shape)")
    let hidden = weightHH.shape[1], gateWidth = 4 * hidden
    precondition(weightIH.dtype == .float32 && weightIH.shape == [gateWidth, inputSize],
                 "lstm weightIH must be float32 [\(gateWidth), \(inputSize)] for input \(x.shape) and hidden size \(hidden), got \(weightIH.shape)")
    for (label, b) in [("biasIH", biasIH), ("biasHH", biasHH)] {
        if let b { precondition(b.dtype == .float32 && b.shape == [gateWidth], "lstm \(label) must be float32 [\(gateWidth)], got \(b.dtype) \(b.shape)") }
    }
    for (label, s) in [("h0", h0), ("c0", c0)] {
        if let s { precondition(s.dtype == .float32 && s.shape == [batch, hidden], "lstm \(label) must be float32 [\(batch), \(hidden)], got \(s.dtype) \(s.shape)") }
    }

    let stepState = batch * hidden, stepGates = batch * gateWidth
    // Gate pre-activations of all steps, overwritten in place by the activations σ(i), σ(f), tanh(g), σ(o).
    let gates = Tensor(shape: [steps, batch, gateWidth], uninitialized: true)
    let cells = Tensor(shape: [steps, batch, hidden], uninitialized: true)
    let output = Tensor(shape: [steps, batch, hidden], uninitialized: true)
    let pGates = gates.floats.baseAddress!, pCells = cells.floats.baseAddress!, pOut = output.floats.baseAddress!
    let pWhh = UnsafePointer(weightHH.floats.baseAddress!)
    let pH0 = h0.map { UnsafePointer($0.floats.baseAddress!) }
    let pC0 = c0.map { UnsafePointer($0.floats.baseAddress!) }

    // Input projections of every step in one GEMM: [T·N, I]×[I, 4H], on top of both biases.
    let hasBias = biasIH != nil || biasHH != nil
    if hasBias && steps * batch > 0 {
        // The first row holds b_ih + b_hh; every other row copies it.
        pGates.update(repeating: 0, count: gateWidth)
        for b in [biasIH, biasHH] {
            guard let b else { continue }
            let pb = b.floats.baseAddress!
            for k in 0..<gateWidth { pGates[k] += pb[k] }
        }
        for r in 1..<(steps * batch) { (pGates + r * gateWidth).update(from: pGates, count: gateWidth) }
    }
    rowMajorSgemm(transB: true, m: steps * batch, n: gateWidth, k: inputSize,
                  a: x.floats.baseAddress!, b: weightIH.floats.baseAddress!, beta: hasBias ? 1 : 0, c: pGates)

    for t in 0..<steps {
        let stepGatePointer = pGates + t * stepGates
        let hPrev: UnsafePointer<Float>? = t == 0 ? pH0 : UnsafePointer(pOut + (t - 1) * stepState)
        let cPrev: UnsafePointer<Float>? = t == 0 ? pC0 : UnsafePointer(pCells + (t - 1) * stepState)
        // The recurrent term h_{t−1}·W_hhᵀ accumulates onto the step's input projection (a zero h0 adds nothing).
        if let hPrev {
            rowMajorSgemm(transB: true, m: batch, n: gateWidth, k: hidden, a: hPrev, b: pWhh, beta: 1, c: stepGatePointer)
        }
        let cNext = pCells + t * stepState, hNext = pOut + t * stepState
        parallelChunks(batch, minChunk: max(1, 2048 / hidden)) { rows in
            for n in rows {
                let row = stepGatePointer + n * gateWidth
                let cIn = cPrev.map { $0 + n * hidden }, cOut = cNext + n * hidden, hOut = hNext + n * hidden
                VectorMath.forEachLane(hidden) { j, lanes in
                    let i = VectorMath.sigmoid(lanes.load(row + j)), f = VectorMath.sigmoid(lanes.load(row + hidden + j))
                    let g = VectorMath.tanh(lanes.load(row + 2 * hidden + j)), o = VectorMath.sigmoid(lanes.load(row + 3 * hidden + j))
                    lanes.store(i, to: row + j); lanes.store(f, to: row + hidden + j)
                    lanes.store(g, to: row + 2 * hidden + j); lanes.store(o, to: row + 3 * hidden + j)
                    let c = f * (cIn.map { lanes.load($0 + j) } ?? .zero) + i * g
                    lanes.store(c, to: cOut + j)
                    lanes.store(o * VectorMath.tanh(c), to: hOut + j)
                }
            }
        }
    }
    let hLast = Tensor(shape: [batch, hidden], uninitialized: true)
    hLast.floats.baseAddress!.update(from: pOut + (steps - 1) * stepState, count: stepState)
    let cLast = Tensor(shape: [batch, hidden], uninitialized: true)
    cLast.floats.baseAddress!.update(from: pCells + (steps - 1) * stepState, count: stepState)

    // Inputs in a fixed order; the optional ones are present only when given.
    var inputs = [x, weightIH, weightHH]
    func slot(_ t: Tensor?) -> Int? {
        guard let t else { return nil }
        inputs.append(t)
        return inputs.count - 1
    }
    let h0Slot = slot(h0), c0Slot = slot(c0), biasIHSlot = slot(biasIH), biasHHSlot = slot(biasHH)
    let inputCount = inputs.count

    // Saved for backpropagation through time: the gate activations [T, N, 4H] and the cell
    // states [T, N, H]; nothing else. h_{t−1} (for the W_hh gradient) is read from the output
    // through a view without graph links (no copy, and no reference cycle through its node);
    // tanh(c_t) is recomputed.
    let savedOutput = output.detached()
    let outs = Tensor.record("lstm", outputs: [output, hLast, cLast], inputs: inputs) { grads in
        let gOut = grads[0].map { UnsafePointer($0.floats.baseAddress!) }
        let pG = UnsafePointer(gates.floats.baseAddress!), pC = UnsafePointer(cells.floats.baseAddress!)
        let hs = UnsafePointer(savedOutput.floats.baseAddress!)
        // Running gradients flowing into step t from step t+1 (and from the h, c outputs at the last step).
        let dh = grads[1]?.copy() ?? Tensor(shape: [batch, hidden])
        let dc = grads[2]?.copy() ?? Tensor(shape: [batch, hidden])
        let pdh = dh.floats.baseAddress!, pdc = dc.floats.baseAddress!
        // Gradients of the gate pre-activations of every step: each weight gradient is then one GEMM.
        let dGates = Tensor(shape: [steps, batch, gateWidth], uninitialized: true)
        let pdG = dGates.floats.baseAddress!

        for t in stride(from: steps - 1, through: 0, by: -1) {
            let stepG = pG + t * stepGates, stepDG = pdG + t * stepGates
            let cs = pC + t * stepState
            let cPrev: UnsafePointer<Float>? = t == 0 ? pC0 : pC + (t - 1) * stepState
            let gOutStep = gOut.map { $0 + t * stepState }
            parallelChunks(batch, minChunk: max(1, 2048 / hidden)) { rows in
                for n in rows {
                    let row = stepG + n * gateWidth, dRow = stepDG + n * gateWidth
                    let c = cs + n * hidden, cIn = cPrev.map { $0 + n * hidden }
                    let dh = pdh + n * hidden, dc = pdc + n * hidden, gOutRow = gOutStep.map { $0 + n * hidden }
                    VectorMath.forEachLane(hidden) { j, lanes in
                        let i = lanes.load(row + j), f = lanes.load(row + hidden + j)
                        let g = lanes.load(row + 2 * hidden + j), o = lanes.load(row + 3 * hidden + j)
                        let dhe = lanes.load(dh + j) + (gOutRow.map { lanes.load($0 + j) } ?? .zero)
                        let tc = VectorMath.tanh(lanes.load(c + j))
                        let dce = lanes.load(dc + j) + dhe * o * (1 - tc * tc)
                        let cp = cIn.map { lanes.load($0 + j) } ?? .zero
                        lanes.store(dce * g * i * (1 - i), to: dRow + j)
                        lanes.store(dce * cp * f * (1 - f), to: dRow + hidden + j)
                        lanes.store(dce * i * (1 - g * g), to: dRow + 2 * hidden + j)
                        lanes.store(dhe * tc * o * (1 - o), to: dRow + 3 * hidden + j)
                        lanes.store(dce * f, to: dc + j)  // dc_{t−1}
                    }
                }
            }
            // dh_{t−1} = dGates_t · W_hh: [N, 4H]×[4H, H].
            rowMajorSgemm(m: batch, n: hidden, k: gateWidth, a: stepDG, b: pWhh, c: pdh)
        }

        var result = [Tensor?](repeating: nil, count: inputCount)
        let dG = UnsafePointer(pdG)
        if x.requiresGrad {
            // dx = dGates·W_ih: [T·N, 4H]×[4H, I].
            let gx = Tensor(shape: x.shape, uninitialized: true)
            rowMajorSgemm(m: steps * batch, n: inputSize, k: gateWidth, a: dG,
                          b: weightIH.floats.baseAddress!, c: gx.floats.baseAddress!)
            result[0] = gx
        }
        if weightIH.requiresGrad {
            // dW_ih = dGatesᵀ·x: [4H, T·N]×[T·N, I].
            let gw = Tensor(shape: weightIH.shape, uninitialized: true)
            rowMajorSgemm(transA: true, m: gateWidth, n: inputSize, k: steps * batch, a: dG,
                          b: x.floats.baseAddress!, c: gw.floats.baseAddress!)
            result[1] = gw
        }
        if weightHH.requiresGrad {
            // dW_hh = Σ_t dGates_tᵀ·h_{t−1}: steps 1… pair with output steps 0… in one GEMM, step 0 with h0.
            let gw = Tensor(shape: weightHH.shape)
            let pgw = gw.floats.baseAddress!
            if steps > 1 {
                rowMajorSgemm(transA: true, m: gateWidth, n: hidden, k: (steps - 1) * batch,
                              a: dG + stepGates, b: hs, c: pgw)
            }
            if let pH0 {
                rowMajorSgemm(transA: true, m: gateWidth, n: hidden, k: batch, a: dG, b: pH0, beta: 1, c: pgw)
            }
            result[2] = gw
        }
        if let h0Slot, h0!.requiresGrad { result[h0Slot] = dh }
        if let c0Slot, c0!.requiresGrad { result[c0Slot] = dc }
        // Both biases enter the pre-activations the same way, so both gradients are the column sums of dGates.
        for (s, b) in [(biasIHSlot, biasIH), (biasHHSlot, biasHH)] {
            guard let s, let b, b.requiresGrad else { continue }
            let gb = Tensor(shape: [gateWidth])
            addColumnSums(of: dG, rowCount: steps * batch, width: gateWidth, into: gb.floats.baseAddress!)
            result[s] = gb
        }
        return result
    }
    return (outs[0], outs[1], outs[2])
}
