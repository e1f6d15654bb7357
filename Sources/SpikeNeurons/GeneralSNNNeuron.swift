import Foundation
import SpikeTensor

/// Options of the single-step neuron of "Training a General Spiking Neural Network with
/// Improved Efficiency and Minimum Latency" (Yao et al., ACML 2023), whose authors' code
/// updates mem ← decay·mem·(1 − spike_prev) + input and fires when mem > threshold.
public struct GeneralSNNNeuronConfiguration: Sendable, Hashable {
    /// Leak applied to the carried membrane (0.4 in the paper's code).
    public var decay: Float
    /// Firing threshold (0.5); the neuron fires when the membrane is strictly above it.
    public var threshold: Float
    /// Surrogate of the step; rectangle with α = 1 is the code's "1 where |mem − 0.5| < 0.5".
    public var surrogate: Surrogate
    /// Whether the (1 − spike_prev) factor is cut from the gradient (the code keeps it).
    public var detachReset: Bool

    /// The paper's neuron unless told otherwise.
    public init(decay: Float = 0.4, threshold: Float = 0.5, surrogate: Surrogate = Surrogate(.rectangle, alpha: 1),
                detachReset: Bool = false) {
        self.decay = decay
        self.threshold = threshold
        self.surrogate = surrogate
        self.detachReset = detachReset
    }
}

/// The general-SNN neuron over `input` = [T, ...] (T = 1 in the paper; more steps chain the
/// same update): for t = 0..<T,
///   mem[t] = decay·mem[t−1]·(1 − s[t−1]) + input[t],   s[t] = 1 if mem[t] > threshold,
/// with mem[−1] = `mem0` (default 0; the paper passes the projected membrane of the previous
/// window here) and s[−1] = 0. Returns the spikes and mem at every step, both shaped like
/// `input`; gradients flow to input and mem0, through the surrogate and through s[t−1] in the
/// reset factor (as the authors' autograd does) unless `detachReset`.
public func generalSNNNeuron(_ input: Tensor, mem0: Tensor? = nil,
                             _ config: GeneralSNNNeuronConfiguration = GeneralSNNNeuronConfiguration(),
                             recorder: FiringRateRecorder? = nil) -> (spikes: Tensor, membrane: Tensor) {
    precondition(input.dtype == .float32, "generalSNNNeuron: input must be float32, got \(input.dtype)")
    precondition(input.rank >= 1, "generalSNNNeuron: input needs a leading time axis, got shape \(input.shape)")
    let stateShape = Array(input.shape.dropFirst())
    if let mem0 {
        precondition(mem0.dtype == .float32 && mem0.shape == stateShape,
                     "generalSNNNeuron: mem0 must be float32 of shape \(stateShape), got \(mem0.dtype) \(mem0.shape)")
    }
    let steps = input.shape[0], width = Tensor.elementCount(stateShape)
    let initial = mem0 ?? Tensor.zeros(stateShape)
    let spikes = Tensor(shape: input.shape, uninitialized: true)
    let membrane = Tensor(shape: input.shape, uninitialized: true)
    let kernel = GeneralSNNKernel(config: config, steps: steps, width: width)
    kernel.forward(input: input.floats.baseAddress!, mem0: initial.floats.baseAddress!,
                   spikes: spikes.floats.baseAddress!, membrane: membrane.floats.baseAddress!)
    recorder?.record(spikes: spikes)

    let inputs = mem0.map { [input, $0] } ?? [input]
    guard Tensor.shouldRecord(inputs) else { return (spikes, membrane) }
    // Saved for backward: mem[t] only (S[t] = mem[t] > threshold is recomputed from it). It is
    // the membrane output's own storage, shared rather than copied; holding the storage (not
    // the output tensor) keeps the graph free of a cycle. Callers must not mutate that output
    // in place before backward.
    let savedMembrane = membrane.storage, savedOffset = membrane.offset
    let outputs = Tensor.record("generalSNNNeuron", outputs: [spikes, membrane], inputs: inputs) { grads in
        let mem = Tensor(shape: input.shape, storage: savedMembrane, offset: savedOffset)
        let gradInput = Tensor(shape: input.shape, uninitialized: true)
        let gradInitial = (mem0?.requiresGrad ?? false) ? Tensor(shape: stateShape, uninitialized: true) : nil
        kernel.backward(membrane: mem.floats.baseAddress!,
                        gradSpikes: grads[0].map { UnsafePointer($0.floats.baseAddress!) },
                        gradMembrane: grads[1].map { UnsafePointer($0.floats.baseAddress!) },
                        gradInput: gradInput.floats.baseAddress!, gradInitial: gradInitial?.floats.baseAddress)
        return mem0 == nil ? [input.requiresGrad ? gradInput : nil]
                           : [input.requiresGrad ? gradInput : nil, gradInitial]
    }
    return (outputs[0], outputs[1])
}

/// Fused forward and backward of the general-SNN neuron over a [steps, width] layout.
struct GeneralSNNKernel: EightLaneKernel {
    let config: GeneralSNNNeuronConfiguration
    let steps: Int
    let width: Int

    func forward(input: UnsafePointer<Float>, mem0: UnsafePointer<Float>,
                 spikes: UnsafeMutablePointer<Float>, membrane: UnsafeMutablePointer<Float>) {
        let M = width, decay = config.decay, threshold = config.threshold
        parallelChunks((width + 7) / 8, minChunk: minGroupsPerChunk) { range in
            let span = neurons(range)
            var m = span.lowerBound
            while m < span.upperBound {
                let n = min(8, span.upperBound - m)
                var mem = Lanes8.load(mem0 + m, n), spike = SIMD8<Float>()
                for t in 0..<steps {
                    let row = t * M
                    // The authors' expression, in their order: mem * decay * (1 - spike) + I.
                    mem = mem * decay * (1 - spike) + Lanes8.load(input + row + m, n)
                    spike = Lanes8.indicator(mem .> threshold)
                    Lanes8.store(mem, membrane + row + m, n)
                    Lanes8.store(spike, spikes + row + m, n)
                }
                m += 8
            }
        }
    }

    /// BPTT with G[t] = ∂L/∂mem[t] in full:
    ///   ∂L/∂s[t] = g_s[t] − decay·mem[t]·G[t+1]            (reset factor of step t+1)
    ///   G[t]     = g_mem[t] + decay·(1 − s[t])·G[t+1] + ∂L/∂s[t]·g′(mem[t] − threshold)
    /// ∂L/∂input[t] = G[t]; ∂L/∂mem0 = decay·G[0] (s[−1] = 0).
    func backward(membrane: UnsafePointer<Float>, gradSpikes: UnsafePointer<Float>?,
                  gradMembrane: UnsafePointer<Float>?, gradInput: UnsafeMutablePointer<Float>,
                  gradInitial: UnsafeMutablePointer<Float>?) {
        let M = width, decay = config.decay, threshold = config.threshold
        let kind = config.surrogate.kind, alpha = config.surrogate.alpha, detach = config.detachReset
        parallelChunks((width + 7) / 8, minChunk: minGroupsPerChunk) { range in
            let span = neurons(range)
            var m = span.lowerBound
            while m < span.upperBound {
                let n = min(8, span.upperBound - m)
                var next = SIMD8<Float>()  // G[t+1]
                for t in stride(from: steps - 1, through: 0, by: -1) {
                    let row = t * M
                    let mem = Lanes8.load(membrane + row + m, n)
                    let spike = Lanes8.indicator(mem .> threshold)
                    var gS = gradSpikes.map { Lanes8.load($0 + row + m, n) } ?? SIMD8()
                    if !detach { gS -= decay * mem * next }
                    var g = decay * (1 - spike) * next + gS * Lanes8.surrogateDerivative(kind, alpha, mem - threshold)
                    if let gradMembrane { g += Lanes8.load(gradMembrane + row + m, n) }
                    Lanes8.store(g, gradInput + row + m, n)
                    next = g
                }
                if let gradInitial { Lanes8.store(decay * next, gradInitial + m, n) }
                m += 8
            }
        }
    }
}
