import Foundation
import Testing
@testable import SpikeLab
import SpikeNN
import SpikeTensor

/// MAC and accumulate counts against hand-computed numbers and a slow obvious count.
@Suite("Energy: MACs, synaptic operations and energy per layer")
struct EnergyTests {
    /// Accumulates of a convolution, the obvious way: for every output position and channel,
    /// every kernel tap that lands inside the input on a non-zero value.
    static func slowConv2dAccumulates(_ x: Tensor, out: Int, kernel: (Int, Int), stride: (Int, Int),
                                      padding: (Int, Int), dilation: (Int, Int), groups: Int) -> Int {
        let n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3], p = x.array
        let ho = (h + 2 * padding.0 - dilation.0 * (kernel.0 - 1) - 1) / stride.0 + 1
        let wo = (w + 2 * padding.1 - dilation.1 * (kernel.1 - 1) - 1) / stride.1 + 1
        let perGroupIn = c / groups, perGroupOut = out / groups
        var total = 0
        for b in 0..<n {
            for o in 0..<out {
                let g = o / perGroupOut
                for i in 0..<ho {
                    for j in 0..<wo {
                        for ci in (g * perGroupIn)..<((g + 1) * perGroupIn) {
                            for ki in 0..<kernel.0 {
                                for kj in 0..<kernel.1 {
                                    let r = i * stride.0 - padding.0 + ki * dilation.0
                                    let s = j * stride.1 - padding.1 + kj * dilation.1
                                    guard r >= 0, r < h, s >= 0, s < w else { continue }
                                    if p[((b * c + ci) * h + r) * w + s] != 0 { total += 1 }
                                }
                            }
                        }
                    }
                }
            }
        }
        return total
    }

    @Test("Conv2d and Linear MACs equal the hand-computed numbers (stride, padding, groups)")
    func macCounts() {
        var rng = PhiloxGenerator(seed: 1)
        // 7×7 input, kernel 3, stride 2, padding 1 → 4×4 output; in/groups = 2:
        // 2 samples · 6 channels · 16 positions · 2 · 9 taps = 3456 MACs, 1728 per sample.
        let conv = Conv2d(4, 6, kernelSize: 3, stride: 2, padding: 1, groups: 2, rng: &rng)
        let meter = EnergyMeter(model: conv)
        meter.measure(inputs: Tensor.uniform([2, 4, 7, 7], low: -1, high: 1, rng: &rng), count: 2)
        let report = meter.report()
        #expect(report.layers.count == 1)
        #expect(report.layers[0].macs == 1728)
        #expect(report.layers[0].operation == .mac)
        #expect(abs(report.totalEnergy - 1728 * 4.6) < 1e-9)

        // Rectangular: 5×9 input, kernel (2, 3), stride (1, 2), no padding → 4×4; 1·3·16·1·6 = 288.
        let rect = Conv2d(1, 3, kernelSize: (2, 3), stride: (1, 2), rng: &rng)
        let rectMeter = EnergyMeter(model: rect)
        rectMeter.measure(inputs: Tensor.uniform([1, 1, 5, 9], low: -1, high: 1, rng: &rng), count: 1)
        #expect(rectMeter.report().layers[0].macs == 288)

        // Linear 5 → 3 on 4 rows: 4 · 5 · 3 = 60, over 4 samples 15 each.
        let linear = Linear(5, 3, rng: &rng)
        let linearMeter = EnergyMeter(model: linear)
        linearMeter.measure(inputs: Tensor.uniform([4, 5], low: -1, high: 1, rng: &rng), count: 4)
        #expect(linearMeter.report().layers[0].macs == 15)
    }

    @Test("accumulates on a binary input equal the non-zeros times the synapses each reaches")
    func accumulateCounts() {
        var rng = PhiloxGenerator(seed: 2)
        // 3×3 input, kernel 3, padding 1, 2 output channels: a corner spike is seen by 4 output
        // positions (8 accumulates), the centre spike by all 9 (18).
        let conv = Conv2d(1, 2, kernelSize: 3, padding: 1, rng: &rng)
        var corner = [Float](repeating: 0, count: 9)
        corner[0] = 1
        #expect(SynapticLayerCount.conv2dNonzeroOps(conv, input: Tensor(corner, shape: [1, 1, 3, 3])) == 8)
        var centre = [Float](repeating: 0, count: 9)
        centre[4] = 1
        #expect(SynapticLayerCount.conv2dNonzeroOps(conv, input: Tensor(centre, shape: [1, 1, 3, 3])) == 18)

        // Random spikes through stride, padding, dilation and groups: the slow count agrees.
        let x = Tensor.uniform([2, 4, 9, 8], low: 0, high: 1, rng: &rng)
        let spikes = Tensor(x.array.map { $0 < 0.3 ? 1 : 0 }, shape: x.shape)
        let grouped = Conv2d(4, 6, kernelSize: (3, 2), stride: (2, 1), padding: (1, 0), dilation: (1, 2), groups: 2,
                             rng: &rng)
        let expected = Self.slowConv2dAccumulates(spikes, out: 6, kernel: (3, 2), stride: (2, 1), padding: (1, 0),
                                                  dilation: (1, 2), groups: 2)
        #expect(expected > 0)
        #expect(SynapticLayerCount.conv2dNonzeroOps(grouped, input: spikes) == expected)

        // Conv1d, depth-wise, kernel 3, padding 1: [1, 0, 1, 1] per channel reaches 2 + 3 + 2 outputs.
        let conv1 = Conv1d(2, 2, kernelSize: 3, padding: 1, groups: 2, rng: &rng)
        let seq = Tensor([1, 0, 1, 1, 0, 0, 0, 1], shape: [1, 2, 4])
        #expect(SynapticLayerCount.conv1dNonzeroOps(conv1, input: seq) == 7 + 2)

        // Linear: 5 non-zeros × 3 outputs.
        let linear = Linear(4, 3, rng: &rng)
        var count = SynapticLayerCount(name: "fc", type: .linear, operation: .ac)
        count.add(layer: linear, input: Tensor([1, 0, 1, 1, 0, 0, 1, 1], shape: [2, 4]), output: linear(Tensor.zeros([2, 4])), samples: 2)
        #expect(count.nonzeroInputOps == 15)
        #expect(count.macs == 24)
        #expect(count.inputRate == 5.0 / 8)
    }

    /// Linear(4→3, diagonal 2, 0.5, 1.5) → IF neurons (θ = 1, T = 2) → Linear(3→2).
    static func tinySpikingModel(_ variant: NeuronSpec.Variant) -> Sequential {
        var rng = PhiloxGenerator(seed: 3)
        let w1 = Tensor([2, 0, 0, 0, 0, 0.5, 0, 0, 0, 0, 1.5, 0], shape: [3, 4])
        let w2 = Tensor([1, -1, 0.5, 0.25, 2, -3], shape: [2, 3])
        return Sequential(Linear(weight: w1, bias: nil), NeuronLayer(spec: NeuronSpec(variant, timeSteps: 2), rng: &rng),
                          Linear(weight: w2, bias: nil))
    }

    @Test("a tiny spiking model's energy equals the hand computation; as an ANN everything is a MAC")
    func tinyModelEnergy() {
        // One sample, T = 2 folded rows. Step 1 currents [1.2, 0.5, 1.5] → spikes [1, 0, 1];
        // step 2 currents [0.4, 0.75, 0.3] → only neuron 1 (0.5 + 0.75 = 1.25) spikes, whatever the reset.
        let x = Tensor([0.6, 1, 1, 0, 0.2, 1.5, 0.2, 0], shape: [2, 4])
        let meter = EnergyMeter(model: Self.tinySpikingModel(.if))
        meter.measure(inputs: x, count: 1)
        let report = meter.report()
        #expect(report.layers.map(\.name) == ["0", "2"])
        let first = report.layers[0], second = report.layers[1]
        #expect(first.operation == .mac && first.macs == 24 && first.chargedMACs == 24 && first.steps == 2)  // 2 steps · 4 · 3
        #expect(second.operation == .ac && second.macs == 12 && second.inputRate == 0.5)
        #expect(second.sops == 6 && second.rateEstimate == 6)  // 3 spikes · 2 outputs
        #expect(report.neuronFiringRate == 0.5)
        #expect(abs(report.totalEnergy - (24 * 4.6 + 6 * 0.9)) < 1e-9)  // 115.8 pJ
        #expect(abs(report.annEnergy - (12 + 6) * 4.6) < 1e-9)
        #expect(abs(meter.report(costs: EnergyCosts(mac: 1, ac: 0.5)).totalEnergy - 27) < 1e-12)

        // The same input at both steps (direct encoding): the first layer is charged once, 12 MACs.
        // Currents [1.2, 0.4, 1.5] twice → spikes [1, 0, 1] at both steps (neuron 1 reaches only 0.8).
        let repeated = Tensor([0.6, 0.8, 1, 0, 0.6, 0.8, 1, 0], shape: [2, 4])
        let direct = EnergyMeter(model: Self.tinySpikingModel(.if))
        direct.measure(inputs: repeated, count: 1)
        let directReport = direct.report()
        #expect(directReport.layers[0].macs == 24 && directReport.layers[0].chargedMACs == 12)
        #expect(directReport.layers[1].sops == 8)  // 4 spikes · 2 outputs
        #expect(abs(directReport.totalEnergy - (12 * 4.6 + 8 * 0.9)) < 1e-9)  // 62.4 pJ

        // The ReLU twin: no spiking neuron, so the second layer is a MAC layer too.
        let ann = EnergyMeter(model: Self.tinySpikingModel(.relu))
        ann.measure(inputs: x, count: 1)
        let annReport = ann.report()
        #expect(annReport.layers.map(\.operation) == [.mac, .mac])
        #expect(annReport.neuronFiringRate == nil)
        #expect(abs(annReport.totalEnergy - (24 + 12) * 4.6) < 1e-9)
        // Observers are detached afterwards.
        #expect(meter.model.namedModules().allSatisfy { $0.module.forwardObserver == nil })
    }

    @Test("a layer fed a real-valued stream after the spiking neurons is charged as MACs, not accumulates")
    func realValuedAfterSpikes() {
        // Linear(4→3) → IF → Linear(3→128, random weights) → Linear(128→2): the last layer reads
        // real-valued sums of spikes (hundreds of distinct values), the one before it reads spikes.
        var rng = PhiloxGenerator(seed: 5)
        let model = Sequential(Linear(weight: Tensor.uniform([3, 4], low: 0, high: 1.5, rng: &rng), bias: nil),
                               NeuronLayer(spec: NeuronSpec(.if, timeSteps: 2), rng: &rng),
                               Linear(weight: Tensor.uniform([128, 3], low: -1, high: 1, rng: &rng), bias: nil),
                               Linear(weight: Tensor.uniform([2, 128], low: -1, high: 1, rng: &rng), bias: nil))
        let meter = EnergyMeter(model: model)
        meter.measure(inputs: Tensor.uniform([2 * 100, 4], low: 0, high: 0.6, rng: &rng), count: 100)
        let report = meter.report()
        #expect(report.layers.map(\.name) == ["0", "2", "3"])
        #expect(report.layers.map(\.operation) == [.mac, .ac, .mac])
        #expect(EnergyMeter.isSpikeDerived(Tensor([0, 1, 1, 0, 0.25, 0.5], shape: [6])))
        #expect(!EnergyMeter.isSpikeDerived(Tensor((0..<300).map { Float($0) / 7 }, shape: [300])))
        #expect(!EnergyMeter.isSpikeDerived(Tensor([0, .nan], shape: [2])))
    }

    @Test("the ANN twin's energy divides a layer's MACs by its calls per sample only up to the model's time steps")
    func annEnergyCountsWindowsOnce() {
        // A conv called 4 times per sample: 4 time steps of a T = 4 model, or 4 windows of a single-step model.
        var count = SynapticLayerCount(name: "conv", type: .conv2d, operation: .mac)
        count.macs = 400
        count.distinctMACs = 400
        count.rows = 4
        count.inputElements = 1
        let timeFolded = EnergyReport(layers: [count], samples: 1, costs: EnergyCosts(), neuronFiringRate: 0.1, foldedSteps: 4)
        let windowed = EnergyReport(layers: [count], samples: 1, costs: EnergyCosts(), neuronFiringRate: nil, foldedSteps: 1)
        #expect(abs(timeFolded.annEnergy - 100 * 4.6) < 1e-9)
        #expect(abs(windowed.annEnergy - 400 * 4.6) < 1e-9)
        #expect(abs(windowed.annEnergy - windowed.totalEnergy) < 1e-9)  // an ANN's own energy equals its twin's
    }
}
