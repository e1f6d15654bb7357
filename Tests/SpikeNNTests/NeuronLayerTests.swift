import Foundation
import SpikeNeurons
import Testing
@testable import SpikeNN
import SpikeTensor

private let steps = 4, batch = 2

/// A folded activation [T·N, C, H, W] spread around the thresholds, requiring a gradient.
private func makeFoldedInput(seed: UInt64) -> Tensor {
    var rng = PhiloxGenerator(seed: seed)
    let x = Tensor.normal([steps * batch, 3, 2, 2], mean: 0.6, std: 1.2, rng: &rng)
    x.requiresGrad = true
    return x
}

private func spec(_ variant: NeuronSpec.Variant) -> NeuronSpec {
    NeuronSpec(variant, timeSteps: steps, lambda: 0.5)
}

@Suite("Neuron layers")
struct NeuronLayerTests {
    static let expectedParameters: [NeuronSpec.Variant: [String]] = [
        .if: [], .lif: [], .plif: ["w"], .psn: ["weight", "bias"], .maskedPSN: ["weight", "bias"],
        .slidingPSN: ["weight", "bias"], .psu: ["alpha"], .ipsu: ["weight", "bias", "alpha"],
        .rpsu: ["weight", "bias", "alpha"], .spikePack: ["threshold"], .generalSNN: [], .relu: [],
    ]

    @Test("every variant runs forward and backward on a folded input and trains its parameters",
          arguments: NeuronSpec.Variant.allCases)
    func forwardBackward(variant: NeuronSpec.Variant) {
        var rng = PhiloxGenerator(seed: 21)
        let layer = NeuronLayer(spec: spec(variant), rng: &rng)
        #expect(layer.namedParameters().map(\.name) == Self.expectedParameters[variant])
        let x = makeFoldedInput(seed: 22)
        let y = layer(x)
        #expect(y.shape == x.shape)
        let r = Tensor.normal(x.shape, rng: &rng)
        (y * r).sum().backward()
        #expect(x.grad?.shape == x.shape)
        #expect(x.grad!.array.contains { $0 != 0 }, "no gradient reached the input")
        for (name, p) in layer.namedParameters() {
            #expect(p.requiresGrad, "\(name) should be learnable")
            #expect(p.grad?.shape == p.shape, "\(name) got no gradient of its shape")
            #expect(p.grad?.array.contains { $0 != 0 } == true, "\(name) got an all-zero gradient")
        }
        if variant.runsOverTime && variant != .relu {
            // Spiking outputs are 0/1.
            #expect(y.array.allSatisfy { $0 == 0 || $0 == 1 })
        }
    }

    @Test("a neuron layer on the folded tensor equals the neuron over the time-major tensor")
    func foldingMatchesTimeMajor() {
        var rng = PhiloxGenerator(seed: 23)
        let timeMajor = Tensor.normal([steps, batch, 3, 2, 2], mean: 0.6, std: 1.2, rng: &rng)
        let lif = NeuronLayer(spec: NeuronSpec(.lif, timeSteps: steps, vReset: nil), rng: &rng)
        let expected = lifMultiStep(timeMajor, LIFConfiguration(vReset: nil)).spikes
        #expect(lif(foldTime(timeMajor)).array == expected.array)
        let psu = NeuronLayer(spec: spec(.psu), rng: &rng)
        #expect(psu(foldTime(timeMajor)).array
                == SpikeNeurons.psu(timeMajor, alpha: makePSUAlpha(), threshold: 1, tau: 2).spikes.array)
    }

    @Test("the layer's spikes-only forward equals multiStep's spikes, with the same gradients",
          arguments: [NeuronSpec.Variant.if, .lif, .plif, .psu])
    func spikesOnlyMatchesMultiStep(variant: NeuronSpec.Variant) {
        var rng = PhiloxGenerator(seed: 24)
        let layer = NeuronLayer(spec: NeuronSpec(variant, timeSteps: steps, vReset: nil), rng: &rng)
        let x = Tensor.normal([steps, batch * 12], mean: 0.6, std: 1.2, rng: &rng)
        x.requiresGrad = true
        let g = Tensor.normal(x.shape, rng: &rng)
        let full = layer.multiStep(x).spikes
        full.backward(g)
        let fullGrad = x.grad!.array, fullParameterGrads = layer.namedParameters().map { $0.tensor.grad!.array }
        x.grad = nil
        for (_, p) in layer.namedParameters() { p.grad = nil }
        let spikes = layer.spikes(x)
        #expect(spikes.array.map(\.bitPattern) == full.array.map(\.bitPattern))
        spikes.backward(g)
        #expect(x.grad!.array.map(\.bitPattern) == fullGrad.map(\.bitPattern))
        #expect(layer.namedParameters().map { $0.tensor.grad!.array } == fullParameterGrads)
    }

    @Test("the relu variant equals x.relu() and runs without a time axis")
    func reluVariant() {
        var rng = PhiloxGenerator(seed: 24)
        let layer = NeuronLayer(spec: NeuronSpec(.relu, timeSteps: 4), rng: &rng)
        let x = Tensor.normal([3, 5], rng: &rng)  // 3 rows: not a multiple of T, which relu ignores
        #expect(layer(x).array == x.relu().array)
        #expect(layer.foldedSteps == 1 && layer.stateDict().isEmpty)
    }

    @Test("the masked PSN uses the λ the runner sets")
    func maskedLambda() {
        var rng = PhiloxGenerator(seed: 25)
        let layer = NeuronLayer(spec: NeuronSpec(.maskedPSN, timeSteps: steps, order: 1, lambda: 0), rng: &rng)
        #expect(layer.lambda == 0)
        let x = makeFoldedInput(seed: 26).detached()
        let sequence = x.reshaped([steps, x.count / steps])
        for lambda: Float in [0, 0.3, 1] {
            layer.lambda = lambda
            let expected = maskedPSN(sequence, weight: layer.weight!, bias: layer.bias!, order: 1, lambda: lambda)
            #expect(layer(x).array == expected.array)
        }
        layer.lambda = 0
        let dense = layer(x).array
        layer.lambda = 1
        #expect(layer(x).array != dense)
    }

    @Test("the firing-rate recorder counts spikes only while enabled")
    func firingRate() {
        var rng = PhiloxGenerator(seed: 27)
        let layer = NeuronLayer(spec: spec(.lif), rng: &rng)
        #expect(layer.firingRate == nil)
        let x = makeFoldedInput(seed: 28).detached()
        layer.recordsFiringRate = true
        let y = layer(x)
        let y2 = layer(x)
        #expect(layer.firingRate!.spikeCount == Int(y.sum().item) + Int(y2.sum().item))
        #expect(layer.firingRate!.elementCount == 2 * x.count)
        #expect(layer.firingRate!.rate > 0 && layer.firingRate!.rate < 1)
        layer.recordsFiringRate = false
        #expect(layer.firingRate == nil)
    }

    @Test("learnable alpha adds an alpha parameter to IF, LIF and PLIF")
    func learnableAlpha() {
        var rng = PhiloxGenerator(seed: 29)
        let layer = NeuronLayer(spec: NeuronSpec(.plif, timeSteps: steps, tau: 3, learnableAlpha: true), rng: &rng)
        #expect(layer.namedParameters().map(\.name) == ["w", "alpha"])
        #expect(layer.alpha!.array == [4])  // the sigmoid surrogate's default α
        // PLIF's w starts at −ln(τ₀ − 1), a 0-d tensor as in SpikingJelly.
        #expect(layer.w!.shape == [] && Swift.abs(layer.w!.item + Float(Foundation.log(2.0))) < 1e-6)
        let x = makeFoldedInput(seed: 30)
        layer(x).sum().backward()
        #expect(layer.alpha!.grad != nil && layer.w!.grad != nil)
        // The PSU family's α is a parameter either way; learnable_alpha: false freezes it.
        let frozen = NeuronLayer(spec: NeuronSpec(.psu, timeSteps: steps, learnableAlpha: false), rng: &rng)
        #expect(frozen.namedParameters().map(\.name) == ["alpha"] && !frozen.alpha!.requiresGrad)
    }

    @Test("a spec resolves the variant's defaults and names its variants as the manifest does")
    func specDefaults() {
        #expect(NeuronSpec.Variant.allCases.map(\.rawValue) == [
            "if", "lif", "plif", "psn", "masked_psn", "sliding_psn", "psu", "ipsu", "rpsu", "spikepack",
            "general_snn", "relu",
        ])
        let lif = NeuronSpec(.lif)
        #expect(lif.timeSteps == 4 && lif.tau == 2 && lif.vReset == 0 && lif.decayInput && !lif.detachReset)
        #expect(lif.resolvedSurrogate == Surrogate(.sigmoid, alpha: 4) && lif.resolvedThreshold == 1)
        #expect(!lif.resolvedLearnableAlpha && lif.foldedSteps == 4)
        #expect(NeuronSpec(.psn).resolvedSurrogate == Surrogate(.atan, alpha: 2))
        #expect(NeuronSpec(.rpsu).resolvedLearnableAlpha)
        let general = NeuronSpec(.generalSNN, timeSteps: 1)
        #expect(general.resolvedThreshold == 0.5 && general.resolvedSurrogate == Surrogate(.rectangle, alpha: 1))
        let pack = NeuronSpec(.spikePack, timeSteps: 6)
        #expect(pack.foldedSteps == 1 && pack.spikePackConfiguration.bits == 6)
        #expect(NeuronSpec(.lif, surrogate: .atan, surrogateAlpha: 3).resolvedSurrogate == Surrogate(.atan, alpha: 3))
    }

    @Test("a spec that cannot build a layer says why")
    func specProblems() {
        #expect(NeuronSpec(.lif).problem == nil)
        #expect(NeuronSpec(.lif, tau: 1).problem == "lif needs tau > 1, got 1.0")
        #expect(NeuronSpec(.psn, learnableAlpha: true).problem
                == "psn has no learnable surrogate alpha (learnable_alpha: true)")
        #expect(NeuronSpec(.maskedPSN, order: 0).problem == "masked_psn needs order k ≥ 1, got 0")
        #expect(NeuronSpec(.spikePack, timeSteps: 30).problem == "spikepack bits must be in 1...24, got 30")
        #expect(NeuronSpec(.if, timeSteps: 0).problem == "time_steps must be at least 1, got 0")
    }
}

@Suite("Time folding")
struct TimeFoldingTests {
    @Test("folding puts sample n of step t at row t·N + n, and unfolding undoes it")
    func foldLayout() {
        let x = Tensor((0..<24).map(Float.init), shape: [3, 2, 4])  // [T, N, F]
        let folded = foldTime(x)
        #expect(folded.shape == [6, 4] && folded.storage === x.storage)  // a view
        for t in 0..<3 { for n in 0..<2 { for f in 0..<4 { #expect(folded[t * 2 + n, f] == x[t, n, f]) } } }
        #expect(unfoldTime(folded, timeSteps: 3).shape == [3, 2, 4])
        #expect(unfoldTime(folded, timeSteps: 3).array == x.array)
    }

    @Test("direct encoding repeats the batch at every step and sums the gradient back")
    func repeatOverTimeValues() {
        let x = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3], requiresGrad: true)
        let repeated = repeatOverTime(x, timeSteps: 3)
        #expect(repeated.shape == [6, 3])
        #expect(repeated.array == [1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6])
        let weights = Tensor((0..<18).map(Float.init), shape: [6, 3])
        (repeated * weights).sum().backward()
        // d/dx[n, f] = Σ_t weights[t·2 + n, f]
        let expected: [Float] = (0..<6).map { (i: Int) -> Float in Float(3 * i + 18) }
        #expect(x.grad!.array == expected)
        #expect(repeatOverTime(x, timeSteps: 1) === x)
    }

    @Test("the readout averages the folded per-step logits over time")
    func meanOverTimeValues() {
        let logits = Tensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], shape: [6, 2])  // T = 3, N = 2
        #expect(meanOverTime(logits, timeSteps: 3).shape == [2, 2])
        #expect(meanOverTime(logits, timeSteps: 3).array == [5, 6, 7, 8])
        #expect(meanOverTime(logits, timeSteps: 1) === logits)
    }

    @Test("a model input is repeated when static and folded when time-major")
    func modelInput() {
        let image = Tensor.ones([2, 1, 3, 3])
        #expect(foldedInput(image, timeSteps: 4, sampleRank: 3).shape == [8, 1, 3, 3])
        let frames = Tensor.ones([4, 2, 1, 3, 3])
        #expect(foldedInput(frames, timeSteps: 4, sampleRank: 3).shape == [8, 1, 3, 3])
    }
}
