import CDNNL
import Foundation

/// How convolution primitives lay out their operands internally.
enum ConvolutionLayout: Hashable, Sendable {
    /// NCHW / OIHW exactly as the tensors hold them (no reorders).
    case plain
    /// `dnnl_format_tag_any`: oneDNN picks (blocked, e.g. nChw16c) and operands are
    /// reordered in and out.
    case libraryChosen
    /// NHWC activations (reordered in and out) and weights as oneDNN picks.
    case channelsLast
}

/// oneDNN convolution primitives for NCHW tensors with OIHW weights, cached per shape.
enum ConvolutionKernels {
    /// The layout strategy the ops use. Blocked layouts chosen by oneDNN (nChw16c) ran
    /// 1.2–9× faster than plain NCHW on CIFAR-sized layers, and NHWC (brgemm forward) won
    /// only on some shapes while losing up to 40% on others (`DNNLBenchmarks`).
    static let defaultLayout: ConvolutionLayout = .libraryChosen
    /// `dnnl_convolution_direct`, as PyTorch uses (`auto` may pick Winograd).
    static let defaultAlgorithm = dnnl_convolution_direct

    enum Direction: Hashable { case forward, backwardData, backwardWeights }

    struct Key: Hashable {
        var geometry: ConvolutionGeometry
        var direction: Direction
        var withBias: Bool
        var layout: ConvolutionLayout
        var algorithm: UInt32
    }

    private static let plans = PrimitiveCache<Key, DNNLPlan>()

    /// output = x ⋆ weight (+ bias).
    static func forward(_ g: ConvolutionGeometry, x: UnsafeMutableRawPointer, weight: UnsafeMutableRawPointer,
                        bias: UnsafeMutableRawPointer?, output: UnsafeMutableRawPointer,
                        layout: ConvolutionLayout = defaultLayout, algorithm: dnnl_alg_kind_t = defaultAlgorithm) {
        let plan = forwardPlan(g, withBias: bias != nil, layout: layout, algorithm: algorithm)
        plan.run(bias.map { [x, weight, $0, output] } ?? [x, weight, output])
    }

    /// gradX = ∂L/∂x from gradOutput and weight.
    static func backwardData(_ g: ConvolutionGeometry, gradOutput: UnsafeMutableRawPointer,
                             weight: UnsafeMutableRawPointer, gradX: UnsafeMutableRawPointer,
                             layout: ConvolutionLayout = defaultLayout, algorithm: dnnl_alg_kind_t = defaultAlgorithm) {
        let hint = forwardPlan(g, withBias: false, layout: layout, algorithm: algorithm).primitive
        let key = Key(geometry: g, direction: .backwardData, withBias: false, layout: layout, algorithm: algorithm.rawValue)
        let plan = plans.value(for: key) {
            let user = userLayouts(g), inner = innerLayouts(g, layout)
            var desc = dnnl_convolution_desc_t()
            var (src, weights, dst) = (inner.src, inner.weights, inner.dst)
            let (strides, dilates, padding) = spatialParameters(g)
            DNNL.check(dnnl_dilated_convolution_backward_data_desc_init(
                &desc, algorithm, &src, &weights, &dst, strides, dilates, padding, padding),
                "describing a convolution backward-data pass for \(g)")
            let primitive = DNNLPrimitive(operation: desc, hint: hint, "convolution backward-data for \(g)")
            return DNNLPlan(primitive, arguments: [
                (DNNL_ARG_DIFF_DST, user.dst, false), (DNNL_ARG_WEIGHTS, user.weights, false),
                (DNNL_ARG_DIFF_SRC, user.src, true),
            ])
        }
        plan.run([gradOutput, weight, gradX])
    }

    /// gradWeight = ∂L/∂weight (and gradBias = ∂L/∂bias when given) from x and gradOutput.
    static func backwardWeights(_ g: ConvolutionGeometry, x: UnsafeMutableRawPointer,
                                gradOutput: UnsafeMutableRawPointer, gradWeight: UnsafeMutableRawPointer,
                                gradBias: UnsafeMutableRawPointer?,
                                layout: ConvolutionLayout = defaultLayout, algorithm: dnnl_alg_kind_t = defaultAlgorithm) {
        let withBias = gradBias != nil
        let hint = forwardPlan(g, withBias: withBias, layout: layout, algorithm: algorithm).primitive
        let key = Key(geometry: g, direction: .backwardWeights, withBias: withBias, layout: layout,
                      algorithm: algorithm.rawValue)
        let plan = plans.value(for: key) {
            let user = userLayouts(g), inner = innerLayouts(g, layout)
            var desc = dnnl_convolution_desc_t()
            var (src, weights, bias, dst) = (inner.src, inner.weights, user.bias, inner.dst)
            let (strides, dilates, padding) = spatialParameters(g)
            DNNL.check(withUnsafePointer(to: &bias) { biasPointer in
                dnnl_dilated_convolution_backward_weights_desc_init(
                    &desc, algorithm, &src, &weights, withBias ? biasPointer : nil, &dst, strides, dilates,
                    padding, padding)
            }, "describing a convolution backward-weights pass for \(g)")
            let primitive = DNNLPrimitive(operation: desc, hint: hint, "convolution backward-weights for \(g)")
            var arguments: [(id: Int32, user: dnnl_memory_desc_t, isOutput: Bool)] = [
                (DNNL_ARG_SRC, user.src, false), (DNNL_ARG_DIFF_DST, user.dst, false),
                (DNNL_ARG_DIFF_WEIGHTS, user.weights, true),
            ]
            if withBias { arguments.append((DNNL_ARG_DIFF_BIAS, user.bias, true)) }
            return DNNLPlan(primitive, arguments: arguments)
        }
        plan.run(gradBias.map { [x, gradOutput, gradWeight, $0] } ?? [x, gradOutput, gradWeight])
    }

    /// The cached forward plan, also the hint backward primitives are created from.
    static func forwardPlan(_ g: ConvolutionGeometry, withBias: Bool, layout: ConvolutionLayout,
                            algorithm: dnnl_alg_kind_t) -> DNNLPlan {
        let key = Key(geometry: g, direction: .forward, withBias: withBias, layout: layout, algorithm: algorithm.rawValue)
        return plans.value(for: key) {
            let user = userLayouts(g), inner = innerLayouts(g, layout)
            var desc = dnnl_convolution_desc_t()
            var (src, weights, bias, dst) = (inner.src, inner.weights, user.bias, inner.dst)
            let (strides, dilates, padding) = spatialParameters(g)
            DNNL.check(withUnsafePointer(to: &bias) { biasPointer in
                dnnl_dilated_convolution_forward_desc_init(
                    &desc, dnnl_forward_training, algorithm, &src, &weights, withBias ? biasPointer : nil, &dst,
                    strides, dilates, padding, padding)
            }, "describing a convolution forward pass for \(g)")
            let primitive = DNNLPrimitive(operation: desc, "convolution forward for \(g)")
            var arguments: [(id: Int32, user: dnnl_memory_desc_t, isOutput: Bool)] = [
                (DNNL_ARG_SRC, user.src, false), (DNNL_ARG_WEIGHTS, user.weights, false),
            ]
            if withBias { arguments.append((DNNL_ARG_BIAS, user.bias, false)) }
            arguments.append((DNNL_ARG_DST, user.dst, true))
            return DNNLPlan(primitive, arguments: arguments)
        }
    }

    private struct Layouts {
        var src, weights, bias, dst: dnnl_memory_desc_t
    }

    /// NCHW input and output, OIHW weights (GOIHW when grouped: the same memory), bias x.
    private static func userLayouts(_ g: ConvolutionGeometry) -> Layouts {
        layouts(g, data: dnnl_nchw, weights: g.groups == 1 ? dnnl_oihw : dnnl_goihw)
    }

    private static func innerLayouts(_ g: ConvolutionGeometry, _ layout: ConvolutionLayout) -> Layouts {
        switch layout {
        case .plain: userLayouts(g)
        case .libraryChosen: layouts(g, data: dnnl_format_tag_any, weights: dnnl_format_tag_any)
        case .channelsLast: layouts(g, data: dnnl_nhwc, weights: dnnl_format_tag_any)
        }
    }

    private static func layouts(_ g: ConvolutionGeometry, data: dnnl_format_tag_t, weights: dnnl_format_tag_t) -> Layouts {
        let weightDims = g.groups == 1
            ? [g.outChannels, g.inChannels, g.kernelHeight, g.kernelWidth]
            : [g.groups, g.outChannels / g.groups, g.inChannels / g.groups, g.kernelHeight, g.kernelWidth]
        return Layouts(
            src: DNNL.memoryDescriptor([g.batch, g.inChannels, g.height, g.width], data),
            weights: DNNL.memoryDescriptor(weightDims, weights),
            bias: DNNL.memoryDescriptor([g.outChannels], dnnl_x),
            dst: DNNL.memoryDescriptor([g.batch, g.outChannels, g.outHeight, g.outWidth], data))
    }

    /// Strides, dilations (oneDNN counts the gaps: PyTorch's dilation − 1) and symmetric
    /// padding, as oneDNN's spatial arrays.
    private static func spatialParameters(_ g: ConvolutionGeometry) -> (strides: [Int64], dilates: [Int64], padding: [Int64]) {
        ([Int64(g.strideHeight), Int64(g.strideWidth)],
         [Int64(g.dilationHeight - 1), Int64(g.dilationWidth - 1)],
         [Int64(g.paddingHeight), Int64(g.paddingWidth)])
    }
}
