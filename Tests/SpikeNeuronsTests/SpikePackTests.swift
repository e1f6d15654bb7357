import Foundation
import Testing
@testable import SpikeNeurons
import SpikeTensor

/// Potentials on the quantisation grid of θ, one float step either side, and between grid
/// points (midpoints ± one step, quarter points), from below zero to past saturation.
private func probeValues(bits: Int, theta: Float) -> [Float] {
    var values: [Float] = [0, -0.0, -1e30, 1e30, .leastNonzeroMagnitude, -.leastNonzeroMagnitude]
    for k in -3...((1 << bits) + 2) {
        for point in [Float(k) * theta, (Float(k) + 0.5) * theta] {
            values += [point, point.nextUp, point.nextDown]
        }
        values += [(Float(k) + 0.25) * theta, (Float(k) + 0.75) * theta]
    }
    return values
}

private func packedCodes(_ v: Tensor, theta: Float, _ c: SpikePackConfiguration) -> [Float] {
    spikePack(v, threshold: Tensor([theta]), configuration: c, output: .packed).array
}

private func serialCodes(_ v: Tensor, theta: Float, _ c: SpikePackConfiguration) -> [Float] {
    packSpikeTrain(spikePackSerialDecode(v, threshold: theta, configuration: c), base: c.base).array
}

@Suite("SpikePack neuron")
struct SpikePackTests {
    @Test("hand values: floor and nearest codes, clamping, and the dequantised output θ·z")
    func handValues() {
        let c = SpikePackConfiguration(bits: 3)
        let v = Tensor([5.5, 7.9, 8.3, -0.2, 6.5, 7.6, -0.4, 0])
        #expect(packedCodes(v, theta: 1, c) == [5, 7, 7, 0, 6, 7, 0, 0])
        let nearest = SpikePackConfiguration(bits: 3, rounding: .nearest)
        #expect(packedCodes(v, theta: 1, nearest) == [6, 7, 7, 0, 7, 7, 0, 0])
        let deq = spikePack(Tensor([1.3, 2.6]), threshold: Tensor([0.5]), configuration: c)
        #expect(deq.array == [1, 2.5])
        // Serial digits of 5 = 101₂ (MSB first), of 6 = 110₂ when rounding to nearest.
        #expect(spikePackSerialDecode(Tensor([5.5]), threshold: 1, configuration: c).array == [1, 0, 1])
        #expect(spikePackSerialDecode(Tensor([5.5]), threshold: 1, configuration: nearest).array == [1, 1, 0])
        #expect(c.maxCode == 7 && SpikePackConfiguration(bits: 2, base: 3).maxCode == 4)
    }

    @Test("the parallel form equals the serial decode for every probe value, T = 1…8, both roundings",
          arguments: SpikePackRounding.allCases)
    func parallelEqualsSerialExhaustively(rounding: SpikePackRounding) {
        for bits in 1...8 {
            let c = SpikePackConfiguration(bits: bits, rounding: rounding)
            for theta: Float in [1, 0.1, 0.37, 3.3, 1e-3] {
                let values = probeValues(bits: bits, theta: theta)
                let v = Tensor(values)
                let parallel = packedCodes(v, theta: theta, c)
                let serial = serialCodes(v, theta: theta, c)
                let mismatches = values.indices.filter { parallel[$0] != serial[$0] }
                #expect(mismatches.isEmpty, "T=\(bits) θ=\(theta) \(rounding): v=\(mismatches.prefix(3).map { values[$0] })")
                // Away from the grid the code is the plain clamp(⌊v/θ⌋) or clamp(⌊v/θ + ½⌋).
                let top = Double((1 << bits) - 1)
                for (i, value) in values.enumerated() where abs(value) < 1e20 {
                    let ratio = Double(value) / Double(theta) + (rounding == .nearest ? 0.5 : 0)
                    guard abs(ratio - ratio.rounded()) > 1e-3 else { continue }
                    #expect(Double(parallel[i]) == min(max(ratio.rounded(.down), 0), top), "v=\(value)")
                }
            }
        }
    }

    @Test("step-by-step serial inference equals the one-shot serial decode")
    func stepByStepEqualsSerial() {
        for rounding in SpikePackRounding.allCases {
            for (bits, base) in [(1, Float(2)), (5, 2), (8, 2), (4, 3), (6, 1), (5, 1.5)] {
                let c = SpikePackConfiguration(bits: bits, base: base, rounding: rounding)
                let theta: Float = 0.37
                let values = probeValues(bits: min(bits, 6), theta: theta)
                let v = Tensor(values, shape: [1, values.count])
                let decoded = spikePackSerialDecode(v, threshold: theta, configuration: c)
                var state = SpikePackSerialState(potential: v, threshold: theta, configuration: c)
                var steps: [Float] = []
                while !state.isFinished {
                    let s = state.advance()
                    #expect(s.shape == v.shape)
                    steps += s.array
                }
                #expect(state.step == bits && decoded.shape == [bits, 1, values.count])
                #expect(steps == decoded.array, "T=\(bits) τ=\(base) \(rounding)")
            }
        }
    }

    @Test("other bases follow the serial definition: non-uniform levels, rate coding at τ = 1")
    func otherBases() {
        // τ = 3, T = 2, θ = 1: thresholds 3, 1 → 2.5 ↦ 01, 3.5 ↦ 10, 4.2 ↦ 11 (z = 1, 3, 4)
        let three = SpikePackConfiguration(bits: 2, base: 3)
        #expect(packedCodes(Tensor([2.5, 3.5, 4.2, -1]), theta: 1, three) == [1, 3, 4, 0])
        // τ = 1: an IF neuron's spike count, min(⌊v/θ⌋, T)
        let one = SpikePackConfiguration(bits: 3, base: 1)
        #expect(packedCodes(Tensor([2.5, 7, 0.9]), theta: 1, one) == [2, 3, 0])
        for base: Float in [1, 1.5, 3] {
            for bits in 1...6 {
                let c = SpikePackConfiguration(bits: bits, base: base, rounding: bits % 2 == 0 ? .nearest : .floor)
                var rng = PhiloxGenerator(seed: UInt64(bits))
                let v = Tensor.uniform([4000], low: -0.5, high: 1.2 * c.maxCode * 0.3, rng: &rng)
                #expect(packedCodes(v, theta: 0.3, c) == serialCodes(v, theta: 0.3, c), "τ=\(base) T=\(bits)")
            }
        }
    }

    @Test("straight-through gradients of v and θ on hand values (dequantised and packed outputs)")
    func straightThroughHandValues() {
        // T = 3, θ = 0.5, v/θ = [−0.6, 2.6, 7.8, 8.4]: floor codes [0, 2, 7, 7], in range [no, yes, yes, no]
        let g = Tensor([1, 2, 3, 4])
        func run(_ c: SpikePackConfiguration, _ output: SpikePackOutput) -> (dv: [Float], dTheta: Float) {
            let v = Tensor([-0.3, 1.3, 3.9, 4.2], requiresGrad: true)
            let theta = c.makeThreshold(0.5)
            spikePack(v, threshold: theta, configuration: c, output: output).backward(g)
            return (v.grad!.array, theta.grad!.item)
        }
        func close(_ a: Float, _ b: Float) -> Bool { abs(a - b) <= 1e-5 * max(1, abs(b)) }
        let floor = SpikePackConfiguration(bits: 3)
        let d = run(floor, .dequantized)
        // dθ = Σ g·(z − q′·v/θ) = 2·(2 − 2.6) + 3·(7 − 7.8) + 4·7 = 24.4
        #expect(d.dv == [0, 2, 3, 0] && close(d.dTheta, 24.4))
        let p = run(floor, .packed)
        // dz/dv = q′/θ; dz/dθ = −q′·v/θ² → 2·(−5.2) + 3·(−15.6) = −57.2
        #expect(p.dv == [0, 4, 6, 0] && close(p.dTheta, -57.2))
        let pass = run(SpikePackConfiguration(bits: 3, gradient: .passThrough), .dequantized)
        // q′ = 1 everywhere: dθ = 0.6 − 1.2 − 2.4 + 4·(7 − 8.4) = −8.6
        #expect(pass.dv == [1, 2, 3, 4] && close(pass.dTheta, -8.6))
        let nearest = run(SpikePackConfiguration(bits: 3, rounding: .nearest), .dequantized)
        // v/θ + ½ = [−0.1, 3.1, 8.3, 8.9]: codes [0, 3, 7, 7], only the second in range
        // dθ = 2·(3 − 2.6) + 3·7 + 4·7 = 49.8
        #expect(nearest.dv == [0, 2, 0, 0] && close(nearest.dTheta, 49.8))
    }

    @Test("threshold modes: only a learnable threshold requires a gradient")
    func thresholdModes() {
        #expect(SpikePackConfiguration(bits: 4).makeThreshold(1).requiresGrad)
        #expect(!SpikePackConfiguration(bits: 4, threshold: .fixed).makeThreshold(1).requiresGrad)
        #expect(!SpikePackConfiguration(bits: 4, threshold: .calibrated).makeThreshold(1).requiresGrad)
    }

    @Test("calibration puts θ·(2^T − 1) at the activations' max or p-th percentile")
    func calibration() {
        let ramp = (0...100).map(Float.init)
        let halves = [Tensor(Array(ramp[..<40])), Tensor(Array(ramp[40...]))]
        #expect(calibrateSpikePackThreshold(activations: halves, bits: 4, percentile: 100) == Float(100) / 15)
        #expect(calibrateSpikePackThreshold(activations: halves, bits: 4, percentile: 50) == Float(50) / 15)
        // numpy: percentile(0…100, 99.9) = 99.9 (linear interpolation)
        let p = calibrateSpikePackThreshold(activations: Tensor(ramp.shuffled()), bits: 8)
        #expect(abs(p - 99.9 / 255) < 1e-6)
        #expect(calibrateSpikePackThreshold(activations: Tensor([0, 0, 0, 2]), bits: 1, percentile: 50) == 2)
        #expect(calibrateSpikePackThreshold(activations: Tensor([-3, -1, 0]), bits: 2) == 1)
        #expect(calibrateSpikePackThreshold(activations: Tensor(ramp), bits: 2, percentile: 100, base: 3) == 25)
    }

    @Test("a firing-rate recorder counts the serial spikes of the packed values")
    func recordsFiringRate() {
        let recorder = FiringRateRecorder()
        _ = spikePack(Tensor([5.5, 7]), threshold: Tensor([1]), configuration: SpikePackConfiguration(bits: 3),
                      recorder: recorder)
        #expect(recorder.spikeCount == 5 && recorder.elementCount == 6)  // 101 and 111
    }
}
