import Foundation

/// 2-d max pooling of `x` [N, C, H, W] (PyTorch's `max_pool2d`: padding counts as −∞,
/// `stride` defaults to `kernel`); returns [N, C, Ho, Wo].
public func maxPool2d(_ x: Tensor, kernel: (Int, Int), stride: (Int, Int)? = nil,
                      padding: (Int, Int) = (0, 0)) -> Tensor {
    pool2d(x, .max, name: "maxPool2d", kernel: kernel, stride: stride, padding: padding)
}

/// 2-d average pooling of `x` [N, C, H, W] (PyTorch's `avg_pool2d`; with `countIncludePad`
/// the zero padding counts in each window's divisor); returns [N, C, Ho, Wo].
public func avgPool2d(_ x: Tensor, kernel: (Int, Int), stride: (Int, Int)? = nil,
                      padding: (Int, Int) = (0, 0), countIncludePad: Bool = true) -> Tensor {
    pool2d(x, countIncludePad ? .averageIncludingPadding : .averageExcludingPadding, name: "avgPool2d",
           kernel: kernel, stride: stride, padding: padding)
}

private func pool2d(_ x: Tensor, _ algorithm: PoolingKernels.Algorithm, name: String, kernel: (Int, Int),
                    stride: (Int, Int)?, padding: (Int, Int)) -> Tensor {
    precondition(x.rank == 4, "\(name): input must be [N, C, H, W], got shape \(x.shape)")
    precondition(x.dtype == .float32, "\(name): input must be float32, got \(x.dtype)")
    let stride = stride ?? kernel
    precondition(kernel.0 >= 1 && kernel.1 >= 1, "\(name): kernel must be positive, got \(kernel)")
    precondition(stride.0 >= 1 && stride.1 >= 1, "\(name): stride must be positive, got \(stride)")
    precondition(padding.0 >= 0 && padding.1 >= 0 && 2 * padding.0 <= kernel.0 && 2 * padding.1 <= kernel.1,
                 "\(name): padding \(padding) must be between 0 and half the kernel \(kernel)")
    let g = PoolingGeometry(batch: x.shape[0], channels: x.shape[1], height: x.shape[2], width: x.shape[3],
                            kernelHeight: kernel.0, kernelWidth: kernel.1, strideHeight: stride.0,
                            strideWidth: stride.1, paddingHeight: padding.0, paddingWidth: padding.1)
    precondition(x.count > 0, "\(name): empty input \(x.shape)")
    precondition(g.outHeight >= 1 && g.outWidth >= 1,
                 "\(name): input \(g.height)×\(g.width) with padding \(padding) is smaller than the kernel \(kernel)")
    let output = Tensor(shape: g.outputShape, uninitialized: true)
    let training = Tensor.shouldRecord([x])
    // Saved: for max pooling, oneDNN's workspace (the argmax of each window, a byte per
    // output for kernels under 256 elements) instead of the input; nothing for averages.
    let workspace = PoolingKernels.forward(g, algorithm, training: training, x: x.rawPointer, output: output.rawPointer)
    return Tensor.record(name, output: output, inputs: [x]) { gradOutput in
        let gradX = Tensor(shape: g.inputShape, uninitialized: true)
        PoolingKernels.backward(g, algorithm, gradOutput: gradOutput.rawPointer, workspace: workspace,
                                gradX: gradX.rawPointer)
        return [gradX]
    }
}

/// Adaptive average pooling of `x` [N, C, H, W] to [N, C, outH, outW] (PyTorch's bins: output
/// i averages rows ⌊i·H/outH⌋ ..< ⌈(i+1)·H/outH⌉, likewise for columns).
public func adaptiveAvgPool2d(_ x: Tensor, outputSize: (Int, Int)) -> Tensor {
    precondition(x.rank == 4, "adaptiveAvgPool2d: input must be [N, C, H, W], got shape \(x.shape)")
    precondition(x.dtype == .float32, "adaptiveAvgPool2d: input must be float32, got \(x.dtype)")
    precondition(outputSize.0 >= 1 && outputSize.1 >= 1,
                 "adaptiveAvgPool2d: output size must be positive, got \(outputSize)")
    let (planes, h, w) = (x.shape[0] * x.shape[1], x.shape[2], x.shape[3])
    let (oh, ow) = outputSize
    precondition(h >= 1 && w >= 1, "adaptiveAvgPool2d: empty input \(x.shape)")
    let rows = AdaptiveBins(input: h, output: oh), columns = AdaptiveBins(input: w, output: ow)
    let output = Tensor(shape: [x.shape[0], x.shape[1], oh, ow], uninitialized: true)
    let src = UnsafePointer(x.floats.baseAddress!), dst = output.floats.baseAddress!
    parallelChunks(planes, minChunk: max(1, (1 << 15) / (h * w))) { range in
        for plane in range {
            let input = src + plane * h * w, out = dst + plane * oh * ow
            for i in 0..<oh {
                let (r0, r1) = rows[i]
                for j in 0..<ow {
                    let (c0, c1) = columns[j]
                    var total: Float = 0
                    if c0 == 0 && c1 == w {
                        // Full-width bins (global pooling) are one contiguous run.
                        total = sumOfRow(input + r0 * w, count: (r1 - r0) * w)
                    } else {
                        for r in r0..<r1 { total += sumOfRow(input + r * w + c0, count: c1 - c0) }
                    }
                    out[i * ow + j] = total / Float((r1 - r0) * (c1 - c0))
                }
            }
        }
    }
    // Saved: nothing but the shape; each output's gradient spreads evenly over its bin.
    let inputShape = x.shape
    return Tensor.record("adaptiveAvgPool2d", output: output, inputs: [x]) { gradOutput in
        let gradX = Tensor(shape: inputShape)
        let g = UnsafePointer(gradOutput.floats.baseAddress!), gx = gradX.floats.baseAddress!
        parallelChunks(planes, minChunk: max(1, (1 << 15) / (h * w))) { range in
            for plane in range {
                let gin = g + plane * oh * ow, out = gx + plane * h * w
                for i in 0..<oh {
                    let (r0, r1) = rows[i]
                    for j in 0..<ow {
                        let (c0, c1) = columns[j]
                        let share = gin[i * ow + j] / Float((r1 - r0) * (c1 - c0))
                        for r in r0..<r1 { for c in c0..<c1 { out[r * w + c] += share } }
                    }
                }
            }
        }
        return [gradX]
    }
}

/// PyTorch's adaptive-pooling bins along one axis.
private struct AdaptiveBins {
    let input, output: Int
    subscript(i: Int) -> (Int, Int) {
        (i * input / output, ((i + 1) * input + output - 1) / output)
    }
}
