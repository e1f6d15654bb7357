import Foundation
import SpikeNeurons
import Testing
@testable import SpikeNN
import SpikeTensor

/// NumPy's default percentile, the obvious way: sort everything, interpolate at p/100·(n−1).
private func slowPercentile(_ values: [Float], _ p: Double) -> Float {
    let sorted = values.sorted()
    let rank = p / 100 * Double(sorted.count - 1)
    let lower = Int(rank.rounded(.down)), upper = min(lower + 1, sorted.count - 1)
    let fraction = rank - Double(lower)
    return Float(Double(sorted[lower]) + fraction * (Double(sorted[upper]) - Double(sorted[lower])))
}

@Suite("ANN-to-SNN conversion: calibration statistics")
struct ActivationStatisticTests {
    @Test("percentiles equal NumPy's on hand-checked cases (np.percentile, linear interpolation)")
    func numpyValues() {
        var a = (1...100).map(Float.init)
        #expect(abs(activationStatistic(&a, .percentile(99.9))! - 99.901) < 1e-4)
        var b: [Float] = [4, 1, 3, 2]
        #expect(activationStatistic(&b, .percentile(50)) == 2.5)
        var c: [Float] = [5]
        #expect(activationStatistic(&c, .percentile(99.9)) == 5)
        var d: [Float] = [3, 1, 2, 2, 7]
        #expect(abs(activationStatistic(&d, .percentile(90))! - 5.4) < 1e-6)
        var e: [Float] = [3, 1, 9, 2]
        #expect(activationStatistic(&e, .max) == 9)
        var empty: [Float] = []
        #expect(activationStatistic(&empty, .percentile(99)) == nil)
    }

    @Test("the selection-based percentile equals the sorting reference on random, tied and sorted data",
          arguments: [1, 2, 7, 100, 1001, 65_536])
    func matchesSortingReference(count: Int) {
        var rng = PhiloxGenerator(seed: UInt64(count))
        let source = Tensor.uniform([count], low: 0, high: 5, rng: &rng)
        let random = source.floats.map { $0 }
        let tied = random.map { ($0 * 2).rounded() / 2 }      // many equal values
        let ascending = random.sorted(), descending = ascending.reversed().map { $0 }
        for data in [random, tied, ascending, descending] {
            for p in [0.1, 25, 50, 99, 99.9, 99.99, 100] {
                var copy = data
                #expect(activationStatistic(&copy, .percentile(p)) == slowPercentile(data, p), "n \(count) p \(p)")
            }
            var copy = data
            #expect(activationStatistic(&copy, .max) == data.max())
        }
    }

    @Test("calibration records each ReLU site's positive activations in eval mode, as a layer-by-layer reference finds them")
    func calibrationMatchesLayerByLayerReference() {
        var rng = PhiloxGenerator(seed: 11)
        let ann = SpikingCNN28(neuron: NeuronSpec(.relu, timeSteps: 1), width: 0.25, rng: &rng)
        // Non-trivial batch-norm statistics, so eval mode (running stats) differs from training mode.
        for bn in ann.modules(ofType: BatchNorm2d.self) {
            bn.runningMean!.floats.update(repeating: 0.3)
            bn.runningVar!.floats.update(repeating: 2.0)
        }
        let batches = (0..<3).map { _ in Tensor.normal([5, 1, 28, 28], rng: &rng) }
        let calibration = ActivationCalibration(model: ann)
        for batch in batches { calibration.record(ann, inputs: batch) }
        #expect(ann.isTraining, "calibration puts the model back into training mode")

        // Reference: run the body one layer at a time in eval mode, keep each ReLU's outputs.
        ann.eval()
        var perSite: [[Float]] = [[], []], seen = [0, 0]
        noGrad {
            for batch in batches {
                var x = batch, site = 0
                for layer in ann.features.layers {
                    x = layer(x)
                    if layer is NeuronLayer {
                        seen[site] += x.count
                        perSite[site] += x.floats.filter { $0 > 0 }
                        site += 1
                    }
                }
            }
        }
        ann.train()
        for p in [99.9, 50.0] {
            let redo = ActivationCalibration(model: ann)
            for batch in batches { redo.record(ann, inputs: batch) }
            let scales = redo.scales(.percentile(p))
            #expect(scales.map(\.name) == ["features.2", "features.6"])
            for (site, scale) in scales.enumerated() {
                #expect(scale.seen == seen[site] && scale.positive == perSite[site].count)
                #expect(scale.scale == slowPercentile(perSite[site], p), "site \(site) p \(p)")
            }
        }
        let maxima = calibration.scales(.max)
        #expect(maxima.map(\.scale) == perSite.map { $0.max() })
    }
}

@Suite("ANN-to-SNN conversion: converted neurons and networks")
struct ANNToSNNTests {
    @Test("a calibrated IF layer starts at θ/2, resets softly and emits spikes of amplitude θ (hand-derived)")
    func calibratedIFByHand() {
        var rng = PhiloxGenerator(seed: 0)
        var spec = NeuronSpec(.if, timeSteps: 4, vReset: nil)
        spec.calibrated = true
        let layer = NeuronLayer(spec: spec, rng: &rng)
        layer.threshold!.floats[0] = 2
        // Constant input 1.2, θ = 2: V = 1 + 1.2 = 2.2 → spike, 0.2; 1.4; 2.6 → spike, 0.6; 1.8.
        // Input −0.5: never fires. Input 5: fires every step (rate 1, output clipped at θ).
        let x = Tensor([1.2, -0.5, 5, 1.2, -0.5, 5, 1.2, -0.5, 5, 1.2, -0.5, 5], shape: [4, 3])
        let y = noGrad { layer(x) }
        #expect(y.floats.map { $0 } == [2, 0, 2, 0, 0, 2, 2, 0, 2, 0, 0, 2])
        #expect(layer.stateDict().map(\.name) == ["threshold"])
    }

    @Test("over many steps a calibrated IF layer's mean output approaches clip(x, 0, θ) within θ/T")
    func rateApproachesClippedReLU() {
        var rng = PhiloxGenerator(seed: 1)
        let t = 64, n = 200
        var spec = NeuronSpec(.if, timeSteps: t, vReset: nil)
        spec.calibrated = true
        let layer = NeuronLayer(spec: spec, rng: &rng)
        let theta: Float = 1.5
        layer.threshold!.floats[0] = theta
        let values = Tensor.uniform([n], low: -1, high: 2.5, rng: &rng)
        let x = values.unsqueezed(axis: 0).expanded(to: [t, n])
        let y = noGrad { layer(x) }.reshaped([t, n]).mean(axis: 0)
        for i in 0..<n {
            let expected = min(max(values.floats[i], 0), theta)
            #expect(abs(y.floats[i] - expected) <= theta / Float(t) + 1e-5, "x \(values.floats[i])")
        }
    }

    @Test("SpikePack's calibrated θ puts its top level θ·(2^T − 1) at λ; IF/LIF/PLIF fire at λ")
    func thresholdsFromScale() {
        for t in [1, 4, 8] {
            let spec = NeuronSpec(.spikePack, timeSteps: t, thresholdMode: .calibrated)
            let theta = ANNToSNN.threshold(for: spec, scale: 3)!
            #expect(abs(theta * Float((1 << t) - 1) - 3) < 1e-5)
        }
        #expect(ANNToSNN.threshold(for: NeuronSpec(.spikePack, timeSteps: 4, thresholdMode: .fixed), scale: 3) == nil)
        for variant in [NeuronSpec.Variant.if, .lif, .plif] {
            var spec = NeuronSpec(variant, timeSteps: 4, vReset: nil)
            #expect(ANNToSNN.threshold(for: spec, scale: 3) == nil)
            spec.calibrated = true
            #expect(ANNToSNN.threshold(for: spec, scale: 3) == 3)
            #expect(ANNToSNN.threshold(for: spec, scale: 0) == ANNToSNN.silentSiteScale)
        }
    }

    @Test("conversion copies every weight and statistic, sets each threshold, and a SpikePack SNN equals the T-bit quantised ANN")
    func spikePackNetworkIsQuantisedANN() throws {
        var rng = PhiloxGenerator(seed: 5)
        let ann = SpikingCNN28(neuron: NeuronSpec(.relu, timeSteps: 1), width: 0.25, rng: &rng)
        for bn in ann.modules(ofType: BatchNorm2d.self) {
            bn.runningMean!.floats.update(repeating: -0.1)
            bn.runningVar!.floats.update(repeating: 0.5)
        }
        let scales = [ActivationScale(name: "features.2", scale: 1.7, seen: 0, positive: 0),
                      ActivationScale(name: "features.6", scale: 0.9, seen: 0, positive: 0)]
        var other = PhiloxGenerator(seed: 99)
        let snn = SpikingCNN28(neuron: NeuronSpec(.spikePack, timeSteps: 6, thresholdMode: .calibrated), width: 0.25, rng: &other)
        let set = try ANNToSNN.convert(ann: ann, into: snn, scales: scales)
        #expect(set.map(\.name) == ["features.2", "features.6"])
        let annState = Dictionary(uniqueKeysWithValues: ann.stateDict().map { ($0.name, $0.tensor.array) })
        for (name, tensor) in snn.stateDict() where !name.hasSuffix("threshold") {
            #expect(tensor.array == annState[name], "\(name)")
        }
        // Reference: the ANN with each ReLU replaced by θ·clamp(floor(x/θ), 0, 63), by hand.
        let x = Tensor.normal([3, 1, 28, 28], rng: &rng)
        ann.eval()
        snn.eval()
        var h = x, site = 0
        noGrad {
            for layer in ann.features.layers {
                if layer is NeuronLayer {
                    let theta = scales[site].scale! / 63
                    let q = h.floats.map { theta * min(max(($0 / theta).rounded(.down), 0), 63) }
                    h = Tensor(q, shape: h.shape)
                    site += 1
                } else {
                    h = layer(h)
                }
            }
        }
        let expected = noGrad { ann.classifier(ann.flatten(h)) }
        let logits = noGrad { snn(x) }
        for (a, b) in zip(logits.floats, expected.floats) { #expect(abs(a - b) <= 1e-4 * max(1, abs(b))) }
    }

    @Test("conversion into a network of another shape is refused, naming the entries that differ")
    func mismatchIsRefused() {
        var rng = PhiloxGenerator(seed: 2)
        let ann = SpikingCNN28(neuron: NeuronSpec(.relu, timeSteps: 1), width: 0.25, rng: &rng)
        var spec = NeuronSpec(.if, timeSteps: 2, vReset: nil)
        spec.calibrated = true
        let wider = SpikingCNN28(neuron: spec, width: 0.5, rng: &rng)
        #expect(throws: ConversionError.self) { try ANNToSNN.convert(ann: ann, into: wider, scales: []) }
        let same = SpikingCNN28(neuron: spec, width: 0.25, rng: &rng)
        do {
            try ANNToSNN.convert(ann: ann, into: same, scales: [ActivationScale(name: "features.2", scale: 1, seen: 1, positive: 1)])
            Issue.record("a missing scale must be refused")
        } catch let error as ConversionError {
            #expect(error.description.contains("features.6"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}

@Suite("ANN-to-SNN conversion: spiking max-pool")
struct SpikingMaxPoolTests {
    private func pool(_ x: Tensor, _ t: Int, _ rule: SpikingMaxPoolRule) -> [Float] {
        spikingMaxPool2d(x, timeSteps: t, kernel: (2, 2), stride: (2, 2), padding: (0, 0), rule: rule).array
    }

    @Test("the gate passes the spike of the unit with the most input so far; the cumulative rule emits the rise of the largest count (hand-derived)")
    func handDerived() {
        // One 2×2 window, T = 4; units a, b, c, d (row-major) with trains
        // a 1010, b 0111, c 0000, d 1100 (counts 2, 3, 0, 2). Running sums after each step and the
        // unit the gate chooses: t0 a1 b0 c0 d1 → a (spike 1); t1 a1 b1 d2 → d (1); t2 a2 b2 d2 → a
        // (1); t3 a2 b3 d2 → b (1): four spikes, one more than any unit's count.
        // The largest running sum is 1, 2, 2, 3: the cumulative rule emits 1, 1, 0, 1.
        let trains: [[Float]] = [[1, 0, 1, 0], [0, 1, 1, 1], [0, 0, 0, 0], [1, 1, 0, 0]]
        let x = Tensor((0..<4).flatMap { t in trains.map { $0[t] } }, shape: [4, 1, 2, 2])
        #expect(spikingMaxPool2d(x, timeSteps: 4, kernel: (2, 2), stride: (2, 2), padding: (0, 0), rule: .gated).shape == [4, 1, 1, 1])
        #expect(pool(x, 4, .gated) == [1, 1, 1, 1])
        #expect(gatedMaxPool2d(x, timeSteps: 4, kernel: (2, 2), stride: (2, 2), padding: (0, 0)).array == [1, 1, 1, 1])
        #expect(pool(x, 4, .cumulative) == [1, 1, 0, 1])
        // Units a 10 and b 01: at t1 the sums tie (a1 b1), the gate keeps a, whose spike is 0;
        // the largest sum stays 1, so the cumulative rule emits nothing either; a plain max over
        // the step's spikes passes b's.
        let sparse = Tensor([1, 0, 0, 0, 0, 1, 0, 0], shape: [2, 1, 2, 2])
        #expect(pool(sparse, 2, .gated) == [1, 0] && pool(sparse, 2, .cumulative) == [1, 0])
        let plain = noGrad { maxPool2d(sparse, kernel: (2, 2), stride: (2, 2), padding: (0, 0)) }
        #expect(plain.floats.map { $0 } == [1, 1])
    }

    @Test("four units of equal rate 1/4 firing in turn, last unit first: the gate passes every step's spike, the cumulative rule one in four")
    func equalRatesInTurn() {
        // Unit 3 fires at steps 0, 4; unit 2 at 1, 5; unit 1 at 2, 6; unit 0 at 3, 7 (amplitude 0.5).
        // The gate: each firing unit draws level with the leaders by its spike and, coming first
        // in the window among them, is chosen — 8 spikes where the largest count is 2.
        let values: [Float] = (0..<8).flatMap { step in (0..<4).map { unit in unit == 3 - step % 4 ? 0.5 : 0 } }
        let x = Tensor(values, shape: [8, 1, 2, 2])
        #expect(pool(x, 8, .gated) == Array(repeating: 0.5, count: 8))
        #expect(pool(x, 8, .cumulative) == [0.5, 0, 0, 0, 0.5, 0, 0, 0])
    }

    @Test("the cumulative rule's output summed to any step is the max-pool of the inputs summed to that step (random trains, padding, strides)")
    func cumulativeMatchesMaxPoolOfRunningSums() {
        var rng = PhiloxGenerator(seed: 11)
        let t = 12
        for (kernel, stride, padding) in [((2, 2), (2, 2), (0, 0)), ((3, 3), (2, 2), (1, 1)), ((3, 2), (1, 2), (1, 0))] {
            // Spikes of amplitude 0.75 with a unit-dependent firing probability.
            let noise = Tensor.uniform([t, 2, 3, 7, 6], low: 0, high: 1, rng: &rng).array
            let bias = Tensor.uniform([2, 3, 7, 6], low: 0, high: 1, rng: &rng).array
            let per = bias.count
            let values = noise.indices.map { i in noise[i] < bias[i % per] ? Float(0.75) : 0 }
            let x = Tensor(values, shape: [t * 2, 3, 7, 6])
            let y = spikingMaxPool2d(x, timeSteps: t, kernel: kernel, stride: stride, padding: padding, rule: .cumulative)
            let out = y.array, stepOut = out.count / t
            var running = [Float](repeating: 0, count: per), emitted = [Float](repeating: 0, count: stepOut)
            for step in 0..<t {
                for i in 0..<per { running[i] += values[step * per + i] }
                for o in 0..<stepOut { emitted[o] += out[step * stepOut + o] }
                let reference = noGrad { maxPool2d(Tensor(running, shape: [2, 3, 7, 6]), kernel: kernel, stride: stride, padding: padding) }
                #expect(reference.floats.map { $0 } == emitted, "step \(step), kernel \(kernel)")
            }
            #expect(out.allSatisfy { $0 == 0 || $0 == 0.75 }, "the output is again a spike train of amplitude 0.75")
        }
    }

    @Test("with T = 1 both rules equal max pooling, padding included")
    func singleStepIsMaxPool() {
        var rng = PhiloxGenerator(seed: 4)
        let x = Tensor.normal([3, 2, 7, 6], rng: &rng)
        for (kernel, stride, padding) in [((2, 2), (2, 2), (0, 0)), ((3, 3), (2, 2), (1, 1)), ((3, 2), (1, 2), (1, 0))] {
            let plain = noGrad { maxPool2d(x, kernel: kernel, stride: stride, padding: padding) }
            for rule in SpikingMaxPoolRule.allCases {
                let spiking = spikingMaxPool2d(x, timeSteps: 1, kernel: kernel, stride: stride, padding: padding, rule: rule)
                #expect(spiking.shape == plain.shape && spiking.floats.map { $0 } == plain.floats.map { $0 }, "\(rule)")
            }
        }
    }

    @Test("over many steps the pooled rate of regular spike trains approaches the largest rate in the window")
    func rateTendsToMaxRate() {
        // Four IF-like regular trains with rates r = 0.3, 0.55, 0.1, 0.5 (spike when ⌊(t+1)·r⌋ grows).
        let rates: [Double] = [0.3, 0.55, 0.1, 0.5], t = 400
        let values = (0..<t).flatMap { step in rates.map { r in Float(Int(Double(step + 1) * r) - Int(Double(step) * r)) } }
        let x = Tensor(values, shape: [t, 1, 2, 2])
        let gated = Double(pool(x, t, .gated).reduce(0, +)) / Double(t)
        #expect(abs(gated - 0.55) <= 2.0 / Double(t), "\(gated)")
        let cumulative = pool(x, t, .cumulative).reduce(0, +)
        #expect(cumulative == Float(Int(Double(t) * 0.55)), "exactly the largest count: \(cumulative)")
        let pooled = noGrad { maxPool2d(x, kernel: (2, 2), stride: (2, 2), padding: (0, 0)) }
        let plain = Double(pooled.floats.reduce(0, +)) / Double(t)
        #expect(plain > 0.7, "a plain max over spikes over-estimates: \(plain)")
    }
}
