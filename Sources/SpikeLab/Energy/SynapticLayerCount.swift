import Foundation
import SpikeNN
import SpikeTensor

/// The operations one synaptic layer (Conv1d, Conv2d, Linear) performed over the forwards it
/// was measured on, counted from the tensors it actually received.
public struct SynapticLayerCount: Equatable, Sendable {
    /// Which kind of synaptic layer.
    public enum LayerType: String, Sendable {
        case conv1d, conv2d, linear
    }

    /// How the layer's operations are charged.
    public enum Operation: String, Sendable {
        /// Real-valued input (the encoding layers, and every layer of an ANN): multiply-accumulates.
        case mac
        /// Input derived from spikes (a spiking neuron layer ran earlier in the same forward):
        /// one accumulate per non-zero input and synapse.
        case ac
    }

    /// Dotted module name (`features.0`, `classifier`).
    public var name: String
    public var type: LayerType
    public var operation: Operation
    /// Dense multiply-accumulates, from the input and output shapes (bias additions not counted).
    public var macs: Int = 0
    /// Dense multiply-accumulates over the distinct step inputs: a layer whose input is the same
    /// at every step (the encoding layer under direct encoding) needs computing once, not T times.
    public var distinctMACs: Int = 0
    /// Exact multiply-accumulates whose input operand is non-zero: for a 0/1 spike input, the
    /// number of accumulates (each spike times the synapses it reaches, borders and stride included).
    public var nonzeroInputOps: Int = 0
    /// Non-zero and total elements of the layer's inputs.
    public var inputNonzero: Int = 0
    public var inputElements: Int = 0
    /// Rows of the (time-folded) inputs the layer saw: T·N per batch.
    public var rows: Int = 0

    /// Fraction of the input's elements that are non-zero (the spike rate for a spike input).
    public var inputRate: Double { inputElements == 0 ? 0 : Double(inputNonzero) / Double(inputElements) }

    /// Adds one forward of `layer` on `input` giving `output`, for a batch of `samples` samples.
    mutating func add(layer: Module, input: Tensor, output: Tensor, samples: Int) {
        let macsBefore = macs, rowsBefore = rows
        defer {
            let steps = samples > 0 && (rows - rowsBefore) % samples == 0 ? (rows - rowsBefore) / samples : 1
            let added = macs - macsBefore
            distinctMACs += steps > 1 && Self.stepsRepeat(input, steps: steps) ? added / steps : added
        }
        let nonzero = Self.countNonzero(input)
        inputNonzero += nonzero
        inputElements += input.count
        switch layer {
        case let linear as Linear:
            rows += input.count / linear.inFeatures
            macs += Self.linearMACs(linear, input: input)
            nonzeroInputOps += nonzero * linear.outFeatures
        case let conv as Conv2d:
            rows += input.shape[0]
            macs += Self.conv2dMACs(conv, output: output)
            nonzeroInputOps += Self.conv2dNonzeroOps(conv, input: input)
        case let conv as Conv1d:
            rows += input.shape[0]
            macs += Self.conv1dMACs(conv, output: output)
            nonzeroInputOps += Self.conv1dNonzeroOps(conv, input: input)
        default:
            preconditionFailure("SynapticLayerCount: \(Swift.type(of: layer)) is not a synaptic layer")
        }
    }

    /// Whether the `steps` leading blocks of `input` (time-folded, time outermost) are bitwise equal.
    static func stepsRepeat(_ input: Tensor, steps: Int) -> Bool {
        let block = input.count / steps, p = input.floats
        guard block * steps == input.count else { return false }
        for t in 1..<steps {
            let a = p.baseAddress!, b = p.baseAddress! + t * block
            if memcmp(a, b, block * MemoryLayout<Float>.stride) != 0 { return false }
        }
        return true
    }

    /// in × out per input row.
    public static func linearMACs(_ layer: Linear, input: Tensor) -> Int {
        (input.count / layer.inFeatures) * layer.inFeatures * layer.outFeatures
    }

    /// N · out · Ho · Wo · (in/groups) · kH · kW.
    public static func conv2dMACs(_ layer: Conv2d, output: Tensor) -> Int {
        let w = layer.weight.shape  // [out, in/groups, kH, kW]
        return output.shape[0] * output.shape[1] * output.shape[2] * output.shape[3] * w[1] * w[2] * w[3]
    }

    /// N · out · L_out · (in/groups) · K.
    public static func conv1dMACs(_ layer: Conv1d, output: Tensor) -> Int {
        let w = layer.weight.shape  // [out, in/groups, K]
        return output.shape[0] * output.shape[1] * output.shape[2] * w[1] * w[2]
    }

    /// Σ over outputs of the non-zero inputs in their receptive field: the non-zero mask
    /// convolved with an all-ones kernel per group (same stride, padding, dilation), times
    /// the output channels of each group. Exact: every term is a small integer.
    static func conv2dNonzeroOps(_ layer: Conv2d, input: Tensor) -> Int {
        let w = layer.weight.shape, g = layer.groups
        let ones = Tensor.ones([g, w[1], w[2], w[3]])
        let counts = conv2d(nonzeroMask(input), weight: ones, stride: layer.stride, padding: layer.padding,
                            dilation: layer.dilation, groups: g)
        return exactSum(counts) * (w[0] / g)
    }

    /// `conv2dNonzeroOps` for a 1-d convolution.
    static func conv1dNonzeroOps(_ layer: Conv1d, input: Tensor) -> Int {
        let w = layer.weight.shape, g = layer.groups
        let ones = Tensor.ones([g, w[1], w[2]])
        let counts = conv1d(nonzeroMask(input), weight: ones, stride: layer.stride, padding: layer.padding,
                            dilation: layer.dilation, groups: g)
        return exactSum(counts) * (w[0] / g)
    }

    /// 1 where `x` is non-zero, else 0.
    static func nonzeroMask(_ x: Tensor) -> Tensor {
        let p = x.floats
        var mask = [Float](repeating: 0, count: x.count)
        for i in 0..<x.count where p[i] != 0 { mask[i] = 1 }
        return Tensor(mask, shape: x.shape)
    }

    /// Non-zero elements of a float tensor.
    static func countNonzero(_ x: Tensor) -> Int {
        let p = x.floats
        var count = 0
        for i in 0..<x.count where p[i] != 0 { count += 1 }
        return count
    }

    /// The sum of a tensor of small non-negative integers, exactly.
    static func exactSum(_ x: Tensor) -> Int {
        let p = x.floats
        var total = 0
        for i in 0..<x.count { total += Int(p[i].rounded()) }
        return total
    }
}
