import Foundation
import Testing
@testable import SpikeNN
import SpikeNeurons
import SpikeTensor

// Yao et al.'s general SNN: receptive-field windows, the two token mixers against slow loop
// references, gradients of their ReLU twins, the network's shapes, counts and a training step.

/// Copies `values` into `t` (construction-time weights for hand-made cases).
private func set(_ t: Tensor, _ values: [Float]) {
    precondition(values.count == t.count)
    for (i, v) in values.enumerated() { t.floats[i] = v }
}

/// Input values in {0, 1}: the Bernoulli encoding x > u (u in [0, 1)) then fires exactly where x = 1.
private func binaryMap(_ shape: [Int], seed: UInt64) -> Tensor {
    var rng = PhiloxGenerator(seed: seed)
    return Tensor(Tensor.uniform(shape, rng: &rng).array.map { $0 < 0.5 ? 0 : 1 }, shape: shape)
}

/// The windows of one mode, written out again: size and top-left corners.
private func referenceWindows(_ h: Int, _ w: Int, _ mode: WindowPartition.Mode) -> (h: Int, w: Int, origins: [(Int, Int)]) {
    let wh = mode == .quadrants ? h / 2 : (3 * h) / 4, ww = mode == .quadrants ? w / 2 : (3 * w) / 4
    return (wh, ww, [(0, 0), (0, w - ww), (h - wh, 0), (h - wh, w - ww)])
}

private func sincos(_ a: Float, _ b: Float) -> Float { 2 * sin(Float.pi / 4 * a * cos(Float.pi / 4 * b)) }
private func project(_ p: MembraneProjection, _ a: Float, _ b: Float) -> Float { p == .sincos ? sincos(a, b) : (a + b) / 2 }

@Suite("General SNN receptive fields")
struct GeneralSNNWindowTests {
    @Test("windows of modes A and B cut exactly the pixels a per-pixel loop picks, on both layouts", arguments: [
        (4, 4, WindowPartition.Mode.quadrants), (8, 6, .quadrants), (16, 16, .overlapping), (8, 8, .overlapping), (6, 10, .overlapping),
    ])
    func windowsMatchLoops(h: Int, w: Int, mode: WindowPartition.Mode) {
        let p = WindowPartition(height: h, width: w, mode: mode)
        let ref = referenceWindows(h, w, mode)
        #expect(p.windowHeight == ref.h && p.windowWidth == ref.w)
        var rng = PhiloxGenerator(seed: 1)
        // Channels first [N, C, H, W] (rows at axis 2) and map-first [H, W, N, C] (rows at axis 0).
        let first = Tensor.uniform([2, 3, h, w], rng: &rng), xs = first.array
        for (k, window) in p.windows(first, rowAxis: 2).enumerated() {
            let (r0, c0) = ref.origins[k]
            var expected: [Float] = []
            for n in 0..<2 { for c in 0..<3 { for i in 0..<ref.h { for j in 0..<ref.w {
                expected.append(xs[((n * 3 + c) * h + r0 + i) * w + c0 + j])
            } } } }
            #expect(window.shape == [2, 3, ref.h, ref.w] && window.array == expected, "window \(k)")
        }
        let mapFirst = Tensor.uniform([h, w, 2, 3], rng: &rng), ms = mapFirst.array
        for (k, window) in p.windows(mapFirst, rowAxis: 0).enumerated() {
            let (r0, c0) = ref.origins[k]
            var expected: [Float] = []
            for i in 0..<ref.h { for j in 0..<ref.w { for q in 0..<6 { expected.append(ms[((r0 + i) * w + c0 + j) * 6 + q]) } } }
            #expect(window.array == expected, "map-first window \(k)")
        }
    }

    @Test("tiling averages the windows that cover each pixel, as a per-pixel loop does", arguments: [
        (4, 4, WindowPartition.Mode.quadrants), (8, 6, .quadrants), (16, 16, .overlapping), (4, 4, .overlapping), (6, 10, .overlapping),
    ])
    func tilingMatchesLoop(h: Int, w: Int, mode: WindowPartition.Mode) {
        let p = WindowPartition(height: h, width: w, mode: mode)
        let ref = referenceWindows(h, w, mode)
        var rng = PhiloxGenerator(seed: 2)
        let windows = (0..<4).map { _ in Tensor.uniform([2, 3, ref.h, ref.w], rng: &rng) }
        let tiled = p.tile(windows, rowAxis: 2)
        #expect(tiled.shape == [2, 3, h, w])
        let values = windows.map(\.array), out = tiled.array
        for n in 0..<2 { for c in 0..<3 { for r in 0..<h { for col in 0..<w {
            var sum: Float = 0, count = 0
            for (k, (r0, c0)) in ref.origins.enumerated() where r >= r0 && r < r0 + ref.h && col >= c0 && col < c0 + ref.w {
                sum += values[k][((n * 3 + c) * ref.h + r - r0) * ref.w + col - c0]
                count += 1
            }
            #expect(count >= 1)
            let got = out[((n * 3 + c) * h + r) * w + col]
            #expect(abs(got - sum / Float(count)) < 1e-6, "(\(n),\(c),\(r),\(col)): \(got) vs \(sum / Float(count))")
        } } } }
        // Cutting a map and tiling its windows back gives the map again.
        let map = Tensor.uniform([2, 3, h, w], rng: &rng)
        let back = p.tile(p.windows(map, rowAxis: 2), rowAxis: 2).array
        #expect(zip(back, map.array).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test("mode B's coverage of a 16×16 map: 1 in the corners, 2 on the edge bands, 4 in the middle 8×8")
    func coverage16() {
        let count = WindowPartition(height: 16, width: 16, mode: .overlapping).coverage
        // Windows of 12 at 0 and 4: rows 0–3 and 12–15 are covered once, rows 4–11 twice; same for columns.
        for r in 0..<16 {
            for c in 0..<16 {
                let rows = (4..<12).contains(r) ? 2 : 1, cols = (4..<12).contains(c) ? 2 : 1
                #expect(count[r * 16 + c] == rows * cols)
            }
        }
    }

    @Test("mode B tiling equals the authors' concatenation of half-overlap means when 4 divides the side")
    func authorsConcatenation() {
        // Their code: o = 2w − H; g1_g2 = [g1[:, :o/2], (g1[:, o/2:3o/2] + g2[:, :o])/2, g2[:, o:3o/2]]
        // along columns, then the same along rows with g3_g4 (windows [H, W, …], rows at axis 0).
        for h in [4, 8, 16] {
            let p = WindowPartition(height: h, width: h, mode: .overlapping)
            let o = 2 * p.windowHeight - h
            var rng = PhiloxGenerator(seed: UInt64(h))
            let g = (0..<4).map { _ in Tensor.uniform([p.windowHeight, p.windowWidth, 2], rng: &rng) }
            func pair(_ a: Tensor, _ b: Tensor, axis: Int) -> Tensor {
                let mean = (a.sliced(axis: axis, range: (o / 2)..<(3 * o / 2)) + b.sliced(axis: axis, range: 0..<o)) * 0.5
                return concat([a.sliced(axis: axis, range: 0..<(o / 2)), mean, b.sliced(axis: axis, range: o..<(3 * o / 2))], axis: axis)
            }
            let authors = pair(pair(g[0], g[1], axis: 1), pair(g[2], g[3], axis: 1), axis: 0)
            let ours = p.tile(g, rowAxis: 0)
            #expect(authors.shape == ours.shape)
            #expect(zip(authors.array, ours.array).allSatisfy { abs($0 - $1) < 1e-6 }, "side \(h)")
        }
    }

    @Test("tiling's gradient matches finite differences in both modes")
    func tilingGradient() {
        for mode in WindowPartition.Mode.allCases {
            let p = WindowPartition(height: 8, width: 8, mode: mode)
            var rng = PhiloxGenerator(seed: 3)
            let windows = (0..<4).map { _ in
                Tensor.uniform([1, 2, p.windowHeight, p.windowWidth], low: -1, high: 1, rng: &rng, requiresGrad: true)
            }
            let result = gradientCheck(windows, step: 1e-3) { p.tile($0, rowAxis: 2) }
            #expect(result.maxError < 1e-3, "\(mode): \(result)")
        }
    }
}

// MARK: - Token mixers against loop references

/// The convolutional mixer for one sample, in loops: x is [H, W, d] with values in {0, 1}.
private func referenceConvMixer(_ mixer: GeneralSNNConvMixer, x: [Float], h: Int, w: Int, d: Int,
                                leak: Float = 0.4, threshold: Float = 0.5) -> [Float] {
    let ref = referenceWindows(h, w, mixer.mode)
    let w1 = mixer.unit.conv1.weight.array, b1 = mixer.unit.conv1.bias!.array
    let w2 = mixer.unit.conv2.weight.array, b2 = mixer.unit.conv2.bias!.array
    // 3×3 convolution, zero padding 1, on a [d, wh, ww] window.
    func conv(_ s: [Float], _ weight: [Float], _ bias: [Float]) -> [Float] {
        var out = [Float](repeating: 0, count: d * ref.h * ref.w)
        for o in 0..<d { for i in 0..<ref.h { for j in 0..<ref.w {
            var acc = bias[o]
            for c in 0..<d { for di in 0..<3 { for dj in 0..<3 {
                let r = i + di - 1, col = j + dj - 1
                if r >= 0 && r < ref.h && col >= 0 && col < ref.w {
                    acc += weight[((o * d + c) * 3 + di) * 3 + dj] * s[(c * ref.h + r) * ref.w + col]
                }
            } } }
            out[(o * ref.h + i) * ref.w + j] = acc
        } } }
        return out
    }
    var m1: [Float]?, m2: [Float]?
    var spikes: [[Float]] = []
    for (r0, c0) in ref.origins {
        var s = [Float](repeating: 0, count: d * ref.h * ref.w)
        for c in 0..<d { for i in 0..<ref.h { for j in 0..<ref.w {
            s[(c * ref.h + i) * ref.w + j] = x[((r0 + i) * w + c0 + j) * d + c] > 0.5 ? 1 : 0
        } } }
        let start2 = m1.map { a in zip(a, m2!).map { project(mixer.projection, $0, $1) } }
        let new1 = zip(conv(s, w1, b1), m1 ?? [Float](repeating: 0, count: s.count)).map { $0 + leak * $1 }
        let s1 = new1.map { $0 > threshold ? Float(1) : 0 }
        let new2 = zip(conv(s1, w2, b2), start2 ?? [Float](repeating: 0, count: s.count)).map { $0 + leak * $1 }
        spikes.append(new2.map { $0 > threshold ? 1 : 0 })
        m1 = new1
        m2 = new2
    }
    // Tile (mean over covering windows), then fc over the channels.
    let fw = mixer.fc.weight.array, fb = mixer.fc.bias!.array
    var out: [Float] = []
    for r in 0..<h { for col in 0..<w {
        var g = [Float](repeating: 0, count: d), count: Float = 0
        for (k, (r0, c0)) in ref.origins.enumerated() where r >= r0 && r < r0 + ref.h && col >= c0 && col < c0 + ref.w {
            for c in 0..<d { g[c] += spikes[k][(c * ref.h + r - r0) * ref.w + col - c0] }
            count += 1
        }
        g = g.map { $0 / count }
        if let t = mixer.overlapThreshold, mixer.mode == .overlapping { g = g.map { $0 > t ? 1 : $0 } }
        for o in 0..<d { out.append(fb[o] + (0..<d).reduce(0) { $0 + fw[o * d + $1] * g[$1] }) }
    } }
    return out
}

@Suite("General SNN token mixers")
struct GeneralSNNMixerTests {
    @Test("SNN2D on a 2×2 map of one channel follows the hand-derived recurrence; sincos and mean differ where they should")
    func handCheckedRecurrence() {
        // 1×1 windows, so only the kernels' centre taps act: conv1 = s, conv2 = 0.2·s1, fc = identity.
        // x = [1, 1, 0, 1] (top-left, top-right, bottom-left, bottom-right), leak 0.4, θ 0.5:
        //   window 1: m1 = 1, s1 = 1; m2 = 0.2 → no spike.
        //   window 2: m1 = 0.4·1 + 1 = 1.4; m2 = 0.4·P(1, 0.2) + 0.2: sincos P = 1.4004 → m2 = 0.760 → spike;
        //             mean P = 0.6 → m2 = 0.44 → no spike.
        //   window 3: m1 = 0.4·1.4 + 0 = 0.56 (> 0.5, s1 = 1); m2 = 0.4·P(1.4, m2) + 0.2: sincos 0.831, mean 0.568 → spike.
        //   window 4: m1 = 0.4·0.56 + 1 = 1.224; m2 = 0.4·P(0.56, m2) + 0.2: sincos 0.474, mean 0.426 → no spike.
        let expected: [MembraneProjection: [Float]] = [.sincos: [0, 1, 1, 0], .mean: [0, 0, 1, 0]]
        for projection in MembraneProjection.allCases {
            var rng = PhiloxGenerator(seed: 10)
            let mixer = GeneralSNNConvMixer(dim: 1, mode: .quadrants, projection: projection, neuron: NeuronSpec(.generalSNN),
                                            rng: &rng)
            set(mixer.unit.conv1.weight, [0, 0, 0, 0, 1, 0, 0, 0, 0])
            set(mixer.unit.conv2.weight, [0, 0, 0, 0, 0.2, 0, 0, 0, 0])
            set(mixer.unit.conv1.bias!, [0])
            set(mixer.unit.conv2.bias!, [0])
            set(mixer.fc.weight, [1])
            set(mixer.fc.bias!, [0])
            let x = Tensor([1, 1, 0, 1], shape: [1, 2, 2, 1])
            #expect(noGrad { mixer(x) }.array == expected[projection]!, "\(projection)")
            // The same numbers from the scalar formulas.
            var m1: Float = 1, m2: Float = 0.2
            var got: [Float] = [0]
            for input: Float in [1, 0, 1] {
                let start = project(projection, m1, m2)
                m1 = 0.4 * m1 + input
                m2 = 0.4 * start + 0.2 * (m1 > 0.5 ? 1 : 0)
                got.append(m2 > 0.5 ? 1 : 0)
            }
            #expect(got == expected[projection]!)
        }
    }

    @Test("SNN2D (conv form) equals the loop reference in both modes and projections, with and without the 0.2 quirk",
          arguments: [(WindowPartition.Mode.quadrants, MembraneProjection.sincos, Float?.none),
                      (.quadrants, .mean, nil), (.overlapping, .sincos, nil), (.overlapping, .mean, 0.2)])
    func convMixerMatchesLoops(mode: WindowPartition.Mode, projection: MembraneProjection, quirk: Float?) {
        var rng = PhiloxGenerator(seed: 11)
        let d = 3, h = 8, w = 8
        let mixer = GeneralSNNConvMixer(dim: d, mode: mode, projection: projection, overlapThreshold: quirk,
                                        neuron: NeuronSpec(.generalSNN), rng: &rng)
        // Larger biases than the zero init, so membranes cross the threshold in both directions.
        set(mixer.unit.conv1.bias!, [0.3, -0.1, 0.2])
        set(mixer.unit.conv2.bias!, [0.25, 0.1, -0.2])
        let x = binaryMap([2, h, w, d], seed: 12)
        let y = noGrad { mixer(x) }.array
        let sample = h * w * d
        for n in 0..<2 {
            let want = referenceConvMixer(mixer, x: Array(x.array[(n * sample)..<((n + 1) * sample)]), h: h, w: w, d: d)
            let got = Array(y[(n * sample)..<((n + 1) * sample)])
            #expect(zip(got, want).allSatisfy { abs($0 - $1) < 1e-5 }, "sample \(n)")
        }
    }

    @Test("the Bernoulli encoding fires with probability x: the mixer's input spike rate tracks a constant map")
    func bernoulliRate() {
        var rng = PhiloxGenerator(seed: 13)
        let mixer = GeneralSNNConvMixer(dim: 2, mode: .quadrants, projection: .sincos, neuron: NeuronSpec(.generalSNN), rng: &rng)
        let window = Tensor.full([4, 2, 16, 16], 0.3)
        let spikes = mixer.encode(window).array
        let rate = spikes.reduce(0, +) / Float(spikes.count)
        #expect(abs(rate - 0.3) < 0.03, "rate \(rate) over \(spikes.count) draws")
        // Fresh draws every call.
        #expect(mixer.encode(window).array != spikes)
    }

    @Test("the LSTM form equals a loop reference (bidirectional LSTM, window recurrence through P, tiled map) over two blocks")
    func lstmMixerMatchesLoops() {
        for mode in WindowPartition.Mode.allCases {
            var rng = PhiloxGenerator(seed: 14)
            let d = 2, h = 4, w = 4
            let first = GeneralSNNLSTMMixer(dim: d, mode: .quadrants, projection: .sincos, downsamples: false,
                                            neuron: NeuronSpec(.generalSNN), rng: &rng)
            let second = GeneralSNNLSTMMixer(dim: d, mode: mode, projection: .sincos, downsamples: false,
                                             neuron: NeuronSpec(.generalSNN), rng: &rng)
            let x1 = binaryMap([1, h, w, d], seed: 15), x2 = binaryMap([1, h, w, d], seed: 16)
            let (y1, map1) = noGrad { first.mix(x1, membranes: nil) }
            let (y2, map2) = noGrad { second.mix(x2, membranes: map1) }
            let (want1, wantMap1) = referenceLSTMMixer(first, x: x1.array, map: nil, h: h, w: w, d: d)
            let (want2, wantMap2) = referenceLSTMMixer(second, x: x2.array, map: wantMap1, h: h, w: w, d: d)
            #expect(map1!.shape == [h, w, 1, 2 * d])
            for (got, want, what) in [(y1.array, want1, "block 1 output"), (map1!.array, wantMap1, "block 1 map"),
                                      (y2.array, want2, "block 2 output"), (map2!.array, wantMap2, "block 2 map")] {
                #expect(zip(got, want).allSatisfy { abs($0 - $1) < 1e-4 }, "\(mode) \(what): \(got) vs \(want)")
            }
        }
    }

    @Test("patch merging concatenates x[0::2,0::2], x[1::2,0::2], x[0::2,1::2], x[1::2,1::2] before its reduction")
    func patchMergingOrder() {
        var rng = PhiloxGenerator(seed: 17)
        let merge = PatchMerging(dim: 2, rng: &rng)
        let x = Tensor.uniform([1, 4, 4, 2], rng: &rng)
        let y = noGrad { merge(x) }.array, xs = x.array, wts = merge.reduction.weight.array
        #expect(merge.reduction.bias == nil && merge.reduction.weight.shape == [4, 8])
        for i in 0..<2 { for j in 0..<2 {
            var cat: [Float] = []
            for (dr, dc) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                for c in 0..<2 { cat.append(xs[((2 * i + dr) * 4 + 2 * j + dc) * 2 + c]) }
            }
            for o in 0..<4 {
                let want = (0..<8).reduce(Float(0)) { $0 + wts[o * 8 + $1] * cat[$1] }
                #expect(abs(y[(i * 2 + j) * 4 + o] - want) < 1e-5)
            }
        } }
    }

    // The spiking forms are step functions of their inputs (finite differences see zero almost
    // everywhere), so the composition — windows, the membrane carry through P, tiling, fc — is
    // checked on the ReLU twin: the encoding's mean clamp(x, 0, 1), relu(mem) instead of spikes,
    // the same membranes. Inputs lie inside (0, 1), away from the clamp's kinks; weights scaled by
    // 0.1 under positive biases keep every membrane above relu's kink at 0.
    @Test("the conv mixer's gradient (ReLU twin) matches finite differences in modes A and B, both projections")
    func convMixerGradient() {
        for mode in WindowPartition.Mode.allCases {
            for projection in MembraneProjection.allCases {
                var rng = PhiloxGenerator(seed: 18)
                let mixer = GeneralSNNConvMixer(dim: 2, mode: mode, projection: projection, neuron: NeuronSpec(.relu), rng: &rng)
                set(mixer.unit.conv1.weight, mixer.unit.conv1.weight.array.map { $0 * 0.1 })
                set(mixer.unit.conv2.weight, mixer.unit.conv2.weight.array.map { $0 * 0.1 })
                set(mixer.unit.conv1.bias!, [0.3, 0.2])
                set(mixer.unit.conv2.bias!, [0.2, 0.4])
                let x = Tensor.uniform([1, 8, 8, 2], low: 0.05, high: 0.95, rng: &rng, requiresGrad: true)
                let inputs = [x, mixer.unit.conv1.weight, mixer.unit.conv2.weight, mixer.fc.weight]
                let result = gradientCheck(inputs, step: 1e-3) { mixer($0[0]) }
                #expect(result.maxError < 5e-3, "\(mode) \(projection): \(result)")
            }
        }
    }

    @Test("the LSTM mixer's gradient (ReLU twin) matches finite differences, through the carried map and its down-sampling")
    func lstmMixerGradient() {
        for mode in WindowPartition.Mode.allCases {
            var rng = PhiloxGenerator(seed: 19)
            let mixer = GeneralSNNLSTMMixer(dim: 2, mode: mode, projection: .sincos, downsamples: true,
                                            neuron: NeuronSpec(.relu), rng: &rng)
            let x = Tensor.uniform([1, 4, 4, 2], low: -1, high: 1, rng: &rng, requiresGrad: true)
            let map = Tensor.uniform([4, 4, 1, 4], low: -1, high: 1, rng: &rng, requiresGrad: true)
            let inputs = [x, map, mixer.unit.lstm1.weightIhL0, mixer.unit.lstm1.weightHhL0Reverse!, mixer.fc.weight,
                          mixer.down!.reduction.weight]
            // Output and next map in one tensor, so both paths are checked.
            let result = gradientCheck(inputs, step: 1e-3) { t in
                let (y, next) = mixer.mix(t[0], membranes: t[1])
                return concat([y.reshaped([y.count]), next!.reshaped([next!.count])], axis: 0)
            }
            #expect(result.maxError < 5e-3, "\(mode): \(result)")
        }
    }

    @Test("the bidirectional LSTM layer's gradient matches finite differences and its reverse half reads the sequence backwards")
    func bidirectionalLSTM() {
        var rng = PhiloxGenerator(seed: 20)
        let layer = LSTM(2, 3, bidirectional: true, rng: &rng)
        #expect(layer.namedParameters().map(\.name) == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                                                       "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse",
                                                       "bias_hh_l0_reverse"])
        let x = Tensor.uniform([4, 2, 2], low: -1, high: 1, rng: &rng, requiresGrad: true)
        let y = noGrad { layer(x) }
        #expect(y.shape == [4, 2, 6])
        // The reverse half at the last step has read only the last element: one LSTM step from zero state.
        let want = referenceLSTM(Array(x.array[12..<14]).chunked(2), layer.weightIhL0Reverse!.array, layer.weightHhL0Reverse!.array,
                                 layer.biasIhL0Reverse!.array, layer.biasHhL0Reverse!.array, hidden: 3)[0]
        let got = Array(y.array[(3 * 2 * 6 + 3)..<(3 * 2 * 6 + 6)])
        #expect(zip(got, want).allSatisfy { abs($0 - $1) < 1e-5 })
        let result = gradientCheck([x, layer.weightIhL0, layer.weightHhL0Reverse!], step: 1e-3) { layer($0[0]) }
        #expect(result.maxError < 5e-3, "\(result)")
    }
}

extension Array {
    /// Consecutive slices of `size` elements.
    fileprivate func chunked(_ size: Int) -> [[Element]] {
        stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) }
    }
}

/// PyTorch's LSTM equations, one step at a time, from zero states: [[features]] per step → hidden per step.
private func referenceLSTM(_ xs: [[Float]], _ wih: [Float], _ whh: [Float], _ bih: [Float], _ bhh: [Float], hidden: Int) -> [[Float]] {
    func sigmoid(_ v: Float) -> Float { 1 / (1 + exp(-v)) }
    let inputs = xs.first?.count ?? 0
    var h = [Float](repeating: 0, count: hidden), c = h
    var out: [[Float]] = []
    for x in xs {
        var g = [Float](repeating: 0, count: 4 * hidden)
        for r in 0..<(4 * hidden) {
            var acc = bih[r] + bhh[r]
            for i in 0..<inputs { acc += wih[r * inputs + i] * x[i] }
            for j in 0..<hidden { acc += whh[r * hidden + j] * h[j] }
            g[r] = acc
        }
        for j in 0..<hidden {
            let i = sigmoid(g[j]), f = sigmoid(g[hidden + j]), gg = tanh(g[2 * hidden + j]), o = sigmoid(g[3 * hidden + j])
            c[j] = f * c[j] + i * gg
            h[j] = o * tanh(c[j])
        }
        out.append(h)
    }
    return out
}

/// The LSTM mixer for one sample, in loops: x [H, W, d] in {0, 1}, map [H, W, 2d] (nil: zeros).
/// Returns the output [H, W, d] and the new map [H, W, 2d].
private func referenceLSTMMixer(_ mixer: GeneralSNNLSTMMixer, x: [Float], map: [Float]?, h: Int, w: Int, d: Int,
                                leak: Float = 0.4, threshold: Float = 0.5) -> ([Float], [Float]) {
    let ref = referenceWindows(h, w, mixer.mode), l = ref.h * ref.w, e = 2 * d
    let lstm = mixer.unit.lstm1
    let carried = map ?? [Float](repeating: 0, count: h * w * e)
    func window(_ k: Int, of values: [Float], features: Int) -> [[Float]] {
        let (r0, c0) = ref.origins[k]
        return (0..<l).map { t in
            let r = r0 + t / ref.w, c = c0 + t % ref.w
            return Array(values[((r * w + c) * features)..<((r * w + c + 1) * features)])
        }
    }
    var fresh: [[[Float]]] = [], spikes: [[[Float]]] = []
    for k in 0..<4 {
        let pair: ([[Float]], [[Float]])
        switch k {
        case 0: pair = (window(0, of: carried, features: e), window(1, of: carried, features: e))
        case 1: pair = (fresh[0], window(1, of: carried, features: e))
        default: pair = (window(k, of: carried, features: e), fresh[k - 1])
        }
        let (a, b) = pair
        let tokens = window(k, of: x, features: d).map { $0.map { $0 > 0.5 ? Float(1) : 0 } }
        let forward = referenceLSTM(tokens, lstm.weightIhL0.array, lstm.weightHhL0.array, lstm.biasIhL0.array,
                                    lstm.biasHhL0.array, hidden: d)
        let backward = Array(referenceLSTM(Array(tokens.reversed()), lstm.weightIhL0Reverse!.array, lstm.weightHhL0Reverse!.array,
                                           lstm.biasIhL0Reverse!.array, lstm.biasHhL0Reverse!.array, hidden: d).reversed())
        var mems: [[Float]] = []
        for t in 0..<l {
            let input = forward[t] + backward[t]
            mems.append((0..<e).map { leak * project(mixer.projection, a[t][$0], b[t][$0]) + input[$0] })
        }
        fresh.append(mems)
        spikes.append(mems.map { $0.map { $0 > threshold ? 1 : 0 } })
    }
    func tile(_ parts: [[[Float]]]) -> [Float] {
        var out = [Float](repeating: 0, count: h * w * e)
        for r in 0..<h { for c in 0..<w {
            var count: Float = 0
            for (k, (r0, c0)) in ref.origins.enumerated() where r >= r0 && r < r0 + ref.h && c >= c0 && c < c0 + ref.w {
                for f in 0..<e { out[(r * w + c) * e + f] += parts[k][(r - r0) * ref.w + c - c0][f] }
                count += 1
            }
            for f in 0..<e { out[(r * w + c) * e + f] /= count }
        } }
        return out
    }
    let g = tile(spikes), fw = mixer.fc.weight.array, fb = mixer.fc.bias!.array
    var out: [Float] = []
    for p in 0..<(h * w) {
        for o in 0..<d { out.append(fb[o] + (0..<e).reduce(0) { $0 + fw[o * e + $1] * g[p * e + $1] }) }
    }
    return (out, tile(fresh))
}

// MARK: - The network

/// Layer-by-layer parameter counts, written out independently of the builder's loops.
private func linear(_ i: Int, _ o: Int, bias: Bool = true) -> Int { i * o + (bias ? o : 0) }
private func conv(_ i: Int, _ o: Int, _ k: Int) -> Int { i * o * k * k + o }
private func mlp(_ d: Int) -> Int { linear(d, 3 * d) + linear(3 * d, d) }
private func lstm(_ i: Int, _ h: Int) -> Int { 2 * (4 * h * i + 4 * h * h + 8 * h) }

/// Loss before and after one SGD step on the same batch, with every Bernoulli stream rewound
/// so both forwards draw the same encodings.
private func lossBeforeAndAfterOneStep(_ model: GeneralSNN, _ images: Tensor, _ labels: Tensor, lr: Float) -> (Float, Float) {
    let streams = model.namedRandomStreams().map(\.stream), saved = streams.map(\.state)
    let optimizer = SGD(parameters: model.namedParameters(), lr: lr)
    let loss = crossEntropy(model(images), labels)
    loss.backward()
    optimizer.step()
    model.zeroGrad()
    for (stream, state) in zip(streams, saved) { stream.restore(state) }
    let after = noGrad { crossEntropy(model(images), labels).item }
    return (loss.item, after)
}

@Suite("General SNN network")
struct GeneralSNNNetworkTests {
    static let widths = [48, 96, 192, 384], depths = [2, 2, 6, 2]

    @Test("general_snn_cnn has the layer-by-layer count: 13 885 402 parameters for 10 classes, the paper's 13.89 M")
    func cnnCount() {
        var rng = PhiloxGenerator(seed: 30)
        let model = GeneralSNN(form: .cnn, neuron: NeuronSpec(.generalSNN), rng: &rng)
        var total = conv(3, 48, 2) + linear(384, 10)
        for (d, n) in zip(Self.widths, Self.depths) {
            total += n * (2 * conv(d, d, 3) + linear(d, d) + mlp(d))
            if d != 384 { total += linear(4 * d, 2 * d, bias: false) }
        }
        #expect(model.parameterCount == total)
        #expect(model.parameterCount == 13_885_402)
        #expect((Double(model.parameterCount) / 1e4).rounded() / 100 == 13.89)
        let names = model.namedParameters().map(\.name)
        #expect(names.first == "stem.proj.weight" && names.last == "head.bias")
        for name in ["blocks.0.0.rnn_tokens.snn_g1.forward_snn.conv1.weight", "blocks.0.1.rnn_tokens.snn_g1.forward_snn.conv2.bias",
                     "blocks.0.0.rnn_tokens.fc.weight", "blocks.2.5.mlp_channels.fc1.weight", "blocks.3.1.mlp_channels.fc2.bias",
                     "blocks.0.2.reduction.weight", "blocks.2.6.reduction.weight"] {
            #expect(names.contains(name), "missing \(name)")
        }
        #expect(!names.contains("blocks.3.2.reduction.weight"))
        #expect(model.namedRandomStreams().count == 12)
    }

    @Test("general_snn_lstm has the layer-by-layer count: 14 925 466 parameters for 10 classes")
    func lstmCount() {
        var rng = PhiloxGenerator(seed: 31)
        let model = GeneralSNN(form: .lstm, neuron: NeuronSpec(.generalSNN), rng: &rng)
        var total = conv(3, 48, 2) + linear(384, 10)
        for (d, n) in zip(Self.widths, Self.depths) {
            total += n * (lstm(d, d) + linear(2 * d, d) + mlp(d))
            if d != 384 {
                total += linear(4 * d, 2 * d, bias: false)          // the stage's patch merging
                total += linear(4 * 2 * d, 2 * 2 * d, bias: false)  // its last block's map down-sampling
            }
        }
        #expect(model.parameterCount == total)
        #expect(model.parameterCount == 14_925_466)
        let names = Set(model.namedParameters().map(\.name))
        for name in ["blocks.0.0.rnn_tokens.snn_g1.forward_snn.lstm1.weight_ih_l0",
                     "blocks.1.0.rnn_tokens.snn_g1.forward_snn.lstm1.bias_hh_l0_reverse",
                     "blocks.0.1.rnn_tokens.down.reduction.weight", "blocks.2.5.rnn_tokens.down.reduction.weight"] {
            #expect(names.contains(name), "missing \(name)")
        }
        #expect(!names.contains("blocks.0.0.rnn_tokens.down.reduction.weight"))
        #expect(!names.contains("blocks.3.1.rnn_tokens.down.reduction.weight"))
    }

    @Test("blocks alternate modes A, B within a stage and the last stage uses A only; the initialisation is the authors'")
    func modesAndInit() {
        var rng = PhiloxGenerator(seed: 32)
        let model = GeneralSNN(form: .cnn, neuron: NeuronSpec(.generalSNN), width: 0.25, rng: &rng)
        let modes = model.blocks.map { $0.layers.map { ($0.rnnTokens as! GeneralSNNConvMixer).mode } }
        #expect(modes == [[.quadrants, .overlapping], [.quadrants, .overlapping],
                          [.quadrants, .overlapping, .quadrants, .overlapping, .quadrants, .overlapping], [.quadrants, .quadrants]])
        #expect(model.widths == [12, 24, 48, 96])
        #expect(model.head.weight.array.allSatisfy { $0 == 0 } && model.head.bias!.array.allSatisfy { $0 == 0 })
        let mixer = model.blocks[0].layers[0].rnnTokens as! GeneralSNNConvMixer
        #expect(mixer.unit.conv1.bias!.array.allSatisfy { $0 == 0 } && mixer.fc.bias!.array.allSatisfy { $0 == 0 })
        // Xavier-uniform bound √(6/(fan_in + fan_out)); LeCun's truncated normal stays within 2σ/0.8796.
        let fcBound = (6 / Float(24)).squareRoot()
        #expect(mixer.fc.weight.array.allSatisfy { abs($0) <= fcBound })
        let lecunBound = 2 * (1 / Float(12 * 9)).squareRoot() / 0.879_625_66
        #expect(mixer.unit.conv1.weight.array.allSatisfy { abs($0) <= lecunBound })
    }

    @Test("both forms map 32×32 and 64×64 images to logits; the LSTM form's map shrinks with the stages", arguments: GeneralSNN.Form.allCases)
    func shapes(form: GeneralSNN.Form) {
        var rng = PhiloxGenerator(seed: 33)
        let model = GeneralSNN(form: form, neuron: NeuronSpec(.generalSNN), numClasses: 7, width: 0.125, rng: &rng)
        #expect(model.sideMultiple == 32)
        for side in [32, 64] {
            let images = Tensor.uniform([2, 3, side, side], rng: &rng)
            var x = model.stem(images)
            #expect(x.shape == [2, side / 2, side / 2, 6])
            var map: Tensor?
            for (i, stage) in model.blocks.enumerated() {
                (x, map) = stage.forward(x, membranes: map)
                let m = side >> (i + 2)
                if i < 3 { #expect(x.shape == [2, m, m, 6 << (i + 1)]) }
                if form == .lstm, i < 3 { #expect(map?.shape == [m, m, 2, 4 * (6 << i)]) }
                if form == .cnn { #expect(map == nil) }
            }
            #expect(model(images).shape == [2, 7])
        }
    }

    @Test("one SGD step lowers the loss on a batch (same Bernoulli draws), and the next step reaches the first block's convolutions",
          arguments: GeneralSNN.Form.allCases)
    func trainingStep(form: GeneralSNN.Form) {
        var rng = PhiloxGenerator(seed: 34)
        let model = GeneralSNN(form: form, neuron: NeuronSpec(.generalSNN), width: 0.125, rng: &rng)
        let images = Tensor.uniform([8, 3, 32, 32], rng: &rng)
        let labels = Tensor(int32: (0..<8).map { Int32($0 % 10) })
        let (before, after) = lossBeforeAndAfterOneStep(model, images, labels, lr: 0.01)
        #expect(abs(before - log(10)) < 1e-5, "zero head: loss ln 10, got \(before)")
        #expect(after < before, "loss \(before) → \(after)")
        // The head is no longer zero, so the surrogate gradient reaches the first mixer.
        crossEntropy(model(images), labels).backward()
        let first = model.blocks[0].layers[0].rnnTokens
        let weight = form == .cnn ? (first as! GeneralSNNConvMixer).unit.conv2.weight
                                  : (first as! GeneralSNNLSTMMixer).unit.lstm1.weightIhL0
        #expect((weight.grad?.array ?? []).contains { $0 != 0 })
    }

    @Test("the whole network's gradient (ReLU twin, few blocks) matches finite differences", arguments: GeneralSNN.Form.allCases)
    func networkGradient(form: GeneralSNN.Form) {
        var rng = PhiloxGenerator(seed: 35)
        let model = GeneralSNN(form: form, neuron: NeuronSpec(.relu), numClasses: 3, depths: [2, 1], width: 1.0 / 24, rng: &rng)
        // A non-zero head, so the body's gradient is not zero.
        set(model.head.weight, Tensor.uniform(model.head.weight.shape, low: -1, high: 1, rng: &rng).array)
        let images = Tensor.uniform([1, 3, 8, 8], rng: &rng, requiresGrad: true)
        let probe = form == .cnn ? (model.blocks[0].layers[1].rnnTokens as! GeneralSNNConvMixer).unit.conv1.weight
                                 : (model.blocks[0].layers[1].rnnTokens as! GeneralSNNLSTMMixer).unit.lstm1.weightHhL0
        let inputs = [images, model.stem.proj.weight, probe, model.blocks[0].merge!.reduction.weight,
                      model.blocks[1].layers[0].mlpChannels.fc1.weight]
        let result = gradientCheck(inputs, step: 1e-3) { model($0[0]) }
        #expect(result.maxError < 5e-3, "\(result)")
    }
}

@Suite("General SNN ReLU twin")
struct GeneralSNNTwinTests {
    @Test("the twin encodes a window with the mean of the SNN's Bernoulli encoding, clamp(x, 0, 1), in both forms")
    func twinEncodesTheBernoulliMean() {
        var rng = PhiloxGenerator(seed: 71)
        let x = Tensor.uniform([2, 3, 4, 4], low: -1.5, high: 2.5, rng: &rng)
        let conv = GeneralSNNConvMixer(dim: 3, mode: .quadrants, projection: .sincos, neuron: NeuronSpec(.relu), rng: &rng)
        let lstm = GeneralSNNLSTMMixer(dim: 3, mode: .quadrants, projection: .sincos, downsamples: false,
                                       neuron: NeuronSpec(.relu), rng: &rng)
        // Independent reference: the average of 4000 Bernoulli draws (standard error ≤ 0.008).
        var mean = [Float](repeating: 0, count: x.count)
        var draws = PhiloxGenerator(seed: 72)
        for _ in 0..<4000 {
            for (i, s) in bernoulliSpikes(x, rng: &draws).array.enumerated() { mean[i] += s / 4000 }
        }
        for encoded in [conv.encode(x).array, lstm.encode(x).array] {
            for (i, value) in x.array.enumerated() {
                #expect(encoded[i] == Swift.min(Swift.max(value, 0), 1), "element \(i): \(value) → \(encoded[i])")
                #expect(abs(encoded[i] - mean[i]) < 0.04, "element \(i): twin \(encoded[i]), Bernoulli mean \(mean[i])")
            }
        }
    }
}
