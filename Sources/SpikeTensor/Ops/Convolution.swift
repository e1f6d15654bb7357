import CDNNL
import Foundation

/// 2-d convolution (PyTorch's `conv2d`, a cross-correlation) of `x` [N, C, H, W] with
/// `weight` [O, C/groups, kH, kW] and optional `bias` [O]; returns [N, O, Ho, Wo].
public func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1),
                   padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1) -> Tensor {
    precondition(x.rank == 4, "conv2d: input must be [N, C, H, W], got shape \(x.shape)")
    precondition(weight.rank == 4, "conv2d: weight must be [O, C/groups, kH, kW], got shape \(weight.shape)")
    let geometry = ConvolutionGeometry(
        batch: x.shape[0], inChannels: x.shape[1], height: x.shape[2], width: x.shape[3],
        outChannels: weight.shape[0], kernelHeight: weight.shape[2], kernelWidth: weight.shape[3],
        strideHeight: stride.0, strideWidth: stride.1, paddingHeight: padding.0, paddingWidth: padding.1,
        dilationHeight: dilation.0, dilationWidth: dilation.1, groups: groups)
    geometry.validate(op: "conv2d", weightShape: weight.shape, expectedWeightShape: [
        geometry.outChannels, geometry.inChannels / max(groups, 1), geometry.kernelHeight, geometry.kernelWidth,
    ], bias: bias)
    return convolution(x, weight: weight, bias: bias, geometry: geometry, name: "conv2d",
                       outputShape: [geometry.batch, geometry.outChannels, geometry.outHeight, geometry.outWidth])
}

/// 1-d convolution (PyTorch's `conv1d`) of `x` [N, C, L] with `weight` [O, C/groups, K] and
/// optional `bias` [O]; returns [N, O, Lo].
public func conv1d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0,
                   dilation: Int = 1, groups: Int = 1) -> Tensor {
    precondition(x.rank == 3, "conv1d: input must be [N, C, L], got shape \(x.shape)")
    precondition(weight.rank == 3, "conv1d: weight must be [O, C/groups, K], got shape \(weight.shape)")
    // A length-L signal is an image of height 1: same memory, so no copy is needed.
    let geometry = ConvolutionGeometry(
        batch: x.shape[0], inChannels: x.shape[1], height: 1, width: x.shape[2],
        outChannels: weight.shape[0], kernelHeight: 1, kernelWidth: weight.shape[2],
        strideHeight: 1, strideWidth: stride, paddingHeight: 0, paddingWidth: padding,
        dilationHeight: 1, dilationWidth: dilation, groups: groups)
    geometry.validate(op: "conv1d", weightShape: weight.shape, expectedWeightShape: [
        geometry.outChannels, geometry.inChannels / max(groups, 1), geometry.kernelWidth,
    ], bias: bias)
    return convolution(x, weight: weight, bias: bias, geometry: geometry, name: "conv1d",
                       outputShape: [geometry.batch, geometry.outChannels, geometry.outWidth])
}

/// Runs the forward convolution and records its backward. Tensors are read through their
/// contiguous memory, so `x`, `weight` and the output may carry any shape whose layout
/// matches `geometry` (conv1d passes 3-d tensors).
private func convolution(_ x: Tensor, weight: Tensor, bias: Tensor?, geometry: ConvolutionGeometry,
                         name: String, outputShape: [Int]) -> Tensor {
    precondition(x.dtype == .float32 && weight.dtype == .float32 && (bias?.dtype ?? .float32) == .float32,
                 "\(name): input, weight and bias must be float32")
    let output = Tensor(shape: outputShape, uninitialized: true)
    ConvolutionKernels.forward(geometry, x: x.rawPointer, weight: weight.rawPointer,
                               bias: bias?.rawPointer, output: output.rawPointer)
    let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
    // Saved: x (for the weight gradient) and weight (for the input gradient); both are the
    // node's inputs already, so capturing them costs no memory.
    return Tensor.record(name, output: output, inputs: inputs) { gradOutput in
        var gradX: Tensor?, gradWeight: Tensor?, gradBias: Tensor?
        if x.requiresGrad {
            let g = Tensor(shape: x.shape, uninitialized: true)
            ConvolutionKernels.backwardData(geometry, gradOutput: gradOutput.rawPointer,
                                            weight: weight.rawPointer, gradX: g.rawPointer)
            gradX = g
        }
        let biasNeedsGrad = bias?.requiresGrad ?? false
        if weight.requiresGrad {
            let gw = Tensor(shape: weight.shape, uninitialized: true)
            let gb = biasNeedsGrad ? Tensor(shape: bias!.shape, uninitialized: true) : nil
            ConvolutionKernels.backwardWeights(geometry, x: x.rawPointer, gradOutput: gradOutput.rawPointer,
                                               gradWeight: gw.rawPointer, gradBias: gb?.rawPointer)
            gradWeight = gw
            gradBias = gb
        } else if biasNeedsGrad {
            gradBias = channelSums(gradOutput, batch: geometry.batch, channels: geometry.outChannels,
                                   spatial: geometry.outHeight * geometry.outWidth, shape: bias!.shape)
        }
        return bias == nil ? [gradX, gradWeight] : [gradX, gradWeight, gradBias]
    }
}

/// Σ over batch and space of a [N, C, S] gradient, per channel (the bias gradient).
func channelSums(_ g: Tensor, batch: Int, channels: Int, spatial: Int, shape: [Int]) -> Tensor {
    let out = Tensor(shape: shape, uninitialized: true)
    let src = UnsafePointer(g.floats.baseAddress!), dst = out.floats.baseAddress!
    parallelChunks(channels, minChunk: max(1, (1 << 15) / max(1, batch * spatial))) { range in
        for c in range {
            var total = 0.0
            for n in 0..<batch {
                total += Double(sumOfRow(src + (n * channels + c) * spatial, count: spatial))
            }
            dst[c] = Float(total)
        }
    }
    return out
}

/// Sum of `count` contiguous floats, eight lanes at a time.
@inline(__always)
func sumOfRow(_ p: UnsafePointer<Float>, count: Int) -> Float {
    var acc = SIMD8<Float>()
    var i = 0
    let raw = UnsafeRawPointer(p)
    while i + 8 <= count {
        acc += raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
        i += 8
    }
    var total = acc.sum()
    while i < count { total += p[i]; i += 1 }
    return total
}

/// Shapes and parameters of one convolution, in 2-d form (conv1d uses height 1).
struct ConvolutionGeometry: Hashable {
    var batch, inChannels, height, width: Int
    var outChannels, kernelHeight, kernelWidth: Int
    var strideHeight, strideWidth, paddingHeight, paddingWidth, dilationHeight, dilationWidth: Int
    var groups: Int

    var outHeight: Int { (height + 2 * paddingHeight - dilationHeight * (kernelHeight - 1) - 1) / strideHeight + 1 }
    var outWidth: Int { (width + 2 * paddingWidth - dilationWidth * (kernelWidth - 1) - 1) / strideWidth + 1 }

    /// Multiply-adds × 2 of one forward pass (the same for each backward pass).
    var flops: Double {
        2 * Double(batch * outChannels * outHeight * outWidth) * Double(inChannels / groups * kernelHeight * kernelWidth)
    }

    func validate(op: String, weightShape: [Int], expectedWeightShape: [Int], bias: Tensor?) {
        precondition(groups >= 1, "\(op): groups must be at least 1, got \(groups)")
        precondition(inChannels % groups == 0 && outChannels % groups == 0,
                     "\(op): groups \(groups) must divide input channels \(inChannels) and output channels \(outChannels)")
        precondition(weightShape == expectedWeightShape,
                     "\(op): weight shape \(weightShape) does not fit input channels \(inChannels) with groups \(groups); expected \(expectedWeightShape)")
        precondition(strideHeight >= 1 && strideWidth >= 1, "\(op): stride must be positive, got (\(strideHeight), \(strideWidth))")
        precondition(dilationHeight >= 1 && dilationWidth >= 1, "\(op): dilation must be positive, got (\(dilationHeight), \(dilationWidth))")
        precondition(paddingHeight >= 0 && paddingWidth >= 0, "\(op): padding must not be negative, got (\(paddingHeight), \(paddingWidth))")
        precondition(batch >= 1 && inChannels >= 1 && outChannels >= 1 && kernelHeight >= 1 && kernelWidth >= 1,
                     "\(op): empty input or weight (input channels \(inChannels), batch \(batch), weight \(weightShape))")
        precondition(outHeight >= 1 && outWidth >= 1,
                     "\(op): input \(height)×\(width) with padding (\(paddingHeight), \(paddingWidth)) is smaller than the dilated kernel \(dilationHeight * (kernelHeight - 1) + 1)×\(dilationWidth * (kernelWidth - 1) + 1)")
        if let bias {
            precondition(bias.shape == [outChannels], "\(op): bias must have shape [\(outChannels)], got \(bias.shape)")
        }
    }
}
